import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { parseNpy, type Classifier, type WhiteBoxClassifier } from '@xai/core';
import { loadOnnxModel } from '@xai/onnx';
import * as tf from '@tensorflow/tfjs-core';
import type { RunningBrowser } from './chromium.js';
import { readPngRgba } from './png.js';
import { notAnImage, tinyResnetOnnx, tinyVitOnnx, unsupportedOpOnnx, vectorModelFiles } from './fixtures.js';
import { chooseMethod, explain, idle, openApp, screenshot, snapshot, visibleMessage } from './page.js';
import { asSaliencyMap, nodeInput, referenceCurves, referenceMaps, relativeError, type PageMap } from './reference.js';
import type { RunningPreview } from './server.js';
import { registry } from '../src/worker/methods.js';
import { closePlayground, openPlayground } from './session.js';

/** Same backend (wasm) in the page and in Node: the maps agree to float32 rounding. */
const MAP_TOLERANCE = 1e-4;
/** Curve points are probabilities; SPEC.md's tolerance for them. */
const CURVE_TOLERANCE = 1e-4;
/** A GPU backend (WebGL on SwiftShader here) against Node's wasm. */
const GPU_TOLERANCE = 1e-3;
/** Set on every method that shows these fields (RISE's); the rest run on their defaults. */
const RISE = { n: 300, s: 8, p1: 0.5, seed: 3 };
/**
 * Smaller runs than the defaults for the attributions that make many passes. The form keeps a
 * shared field's value, so SmoothGrad names the steps Integrated Gradients left there.
 */
const FEW_PASSES: Record<string, Record<string, string | number>> = {
  'integrated-gradients': { steps: 8 },
  smoothgrad: { samples: 4, noise: 0.1, seed: 3, steps: 8 },
  occlusion: { window: 24, stride: 12 },
};
/** The fields set for a method: RISE's where it shows them, or its small-run values. */
function fieldsFor(id: string): Record<string, string | number> {
  return FEW_PASSES[id] ?? RISE;
}
/** Every registered method runs in the page and in Node; these must be among them. */
const REQUIRED = [
  'rise', 'rise-gaussian', 'abs-cam-init', 'abs-cam-final',
  'grad-cam', 'guided-grad-cam', 'grad-cam-pp', 'layer-cam', 'score-cam', 'ablation-cam', 'eigen-cam',
  'saliency', 'input-x-gradient', 'integrated-gradients', 'guided-backprop', 'smoothgrad', 'occlusion',
];
const METHODS = registry.list();

let server: RunningPreview;
let chromium: RunningBrowser;
let page: Page;
let model: Classifier;

beforeAll(async () => {
  ({ server, chromium, model, page } = await openPlayground());
});

afterAll(() => closePlayground({ server, chromium, model }));

async function checkAgainstNode(maps: PageMap[], tolerance: number): Promise<void> {
  const { image } = await snapshot(page);
  const input = nodeInput(model, image!);
  try {
    const expected = await referenceMaps(model, input, maps);
    maps.forEach((map, k) => {
      expect(expected[k].classIndex).toBe(map.classIndex);
      expect(relativeError(map.data, expected[k].data), `${map.method} class ${map.classIndex}`).toBeLessThan(tolerance);
      // Attributions carry their signed values too (NHWC), which must agree as well.
      expect(map.attribution === undefined, `${map.method} has an attribution in the page as in Node`).toBe(expected[k].attribution === undefined);
      if (map.attribution) {
        expect(map.attribution.channels).toBe(expected[k].attribution!.channels);
        expect(relativeError(map.attribution.data, expected[k].attribution!.data), `${map.method} class ${map.classIndex} attribution`).toBeLessThan(tolerance);
      }
    });
  } finally {
    input.dispose();
  }
}

describe('the playground in Chromium', () => {
  test('starts with the demo model and its samples, and shows the backend', async () => {
    const backend = (await page.textContent('#backend'))?.trim();
    expect(['webgpu', 'webgl', 'wasm']).toContain(backend);
    const state = await snapshot(page);
    expect(state.backend).toBe(backend);
    expect(await page.textContent('#backend-notes'), 'why better backends were passed over').toMatch(/passed over|first choice/);
    expect(state.model?.input).toMatchObject({ height: 96, width: 96, channels: 3 });
    expect(await page.locator('#samples button').count()).toBeGreaterThan(0);
    expect(await page.locator('#predictions li').count()).toBe(Math.min(5, state.model!.numClasses));
    const probabilities = state.top!.map((p) => p.probability);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect([...probabilities].sort((a, b) => b - a)).toEqual(probabilities);
    await screenshot(page, '01-start');
  });

  test('decodes the first sample to the pixels in its PNG file', async () => {
    const first = await page.getAttribute('#samples button', 'title');
    const file = await fetch(new URL(`demo/samples/${first}`, server.url));
    expect(file.headers.get('content-type')).toContain('image/png');
    const expected = readPngRgba(Buffer.from(await file.arrayBuffer()));
    const { image } = await snapshot(page);
    expect([image!.width, image!.height]).toEqual([expected.width, expected.height]);
    expect(image!.data).toEqual(Array.from(expected.data));
  });

  test('offers every registered method, with its label, and builds the form from their parameters', async () => {
    const state = await snapshot(page);
    expect(registry.ids()).toEqual(expect.arrayContaining(REQUIRED));
    expect(state.methods.map((m) => [m.id, m.label])).toEqual(METHODS.map((m) => [m.id, m.label]));
    const options = await page.locator('#method option').evaluateAll((all) =>
      (all as HTMLOptionElement[]).map((o) => [o.value, o.textContent, o.disabled]),
    );
    expect(options).toEqual(METHODS.map((m) => [m.id, m.label, false]));
    // One field per parameter name (all specs agree here but for their help), shown only for the methods that take it.
    const names = new Set(METHODS.flatMap((m) => m.params.map((p) => p.name)));
    expect(await page.locator('#params label.param').count()).toBe(names.size);
    for (const method of METHODS) {
      await chooseMethod(page, method.id);
      const shown = await page.locator('#params label.param:visible').evaluateAll((all) => all.map((l) => (l as HTMLElement).dataset.param));
      expect(shown, method.id).toEqual(method.params.map((p) => p.name));
      for (const spec of method.params) {
        const field = page.locator(`#params label[data-param="${spec.name}"]`);
        expect(await field.getAttribute('title'), `${method.id} ${spec.name}`).toContain(spec.help);
        if (spec.type === 'int' || spec.type === 'number') {
          const input = field.locator('input');
          expect(await input.inputValue()).toBe(String(spec.default));
          if (spec.max !== undefined) expect(await input.getAttribute('max')).toBe(String(spec.max));
        }
        if (spec.type === 'choice') expect(await field.locator('option').allTextContents()).toEqual([...spec.choices]);
      }
      expect(await page.isVisible('#layer-label'), `${method.id} layer list`).toBe(method.layers !== 'none');
      if (method.layers !== 'none') {
        expect(await page.locator('#layer').inputValue()).toBe(state.model!.defaultLayer);
        expect(await page.locator('#layer').evaluate((e) => (e as HTMLSelectElement).multiple)).toBe(method.layers === 'many');
      }
      if (method.id === METHODS.find((m) => m.layers === 'many')?.id) await screenshot(page, '01-form-layer-method');
    }
    await chooseMethod(page, METHODS[0].id);
    await screenshot(page, '01-form-first-method');
  });

  test("a bad parameter gets the contract's message and nothing runs", async () => {
    const method = METHODS.find((m) => m.params.some((p) => p.type === 'int' && p.min !== undefined))!;
    const spec = method.params.find((p) => p.type === 'int' && p.min !== undefined)!;
    await chooseMethod(page, method.id, { [spec.name]: String((spec as { min: number }).min - 1) });
    await page.click('#explain');
    await page.waitForSelector('#message:not([hidden])', { timeout: 10_000 });
    await idle(page);
    expect(await visibleMessage(page)).toMatch(new RegExp(`^${method.id}: ${spec.name} must be a whole number`));
    expect((await snapshot(page)).explained).toBeUndefined();
    await screenshot(page, '01-bad-parameter');
    await chooseMethod(page, method.id, { [spec.name]: String(spec.default) });
  });

  for (const method of METHODS) {
    test(`${method.id}: the maps equal Node's`, async () => {
      const fields = fieldsFor(method.id);
      await explain(page, method.id, fields);
      const state = await snapshot(page);
      expect(state.explained?.method).toBe(method.id);
      const maps = state.explained!.maps;
      expect(await page.textContent('#overlay-title')).toContain(method.label);
      if (method.everyClassAtOnce) {
        expect(maps.length, 'every class has a map').toBe(state.model!.numClasses);
        expect(await page.locator('#class-maps .tile').count()).toBe(maps.length);
      } else {
        expect(maps).toHaveLength(1);
        expect(maps[0].classIndex).toBe(state.top![0].classIndex);
      }
      const ownParams = Object.fromEntries(method.params.map((p) => [p.name, p.name in fields ? fields[p.name] : p.default]));
      // An `auto` choice is recorded as what it chose (RISE's mask order: reference, without a stopping rule).
      const given = Object.fromEntries(Object.entries(ownParams).filter(([, value]) => value !== 'auto'));
      expect(maps[0].params).toMatchObject(given);
      if (ownParams.maskOrder === 'auto') expect(maps[0].params.maskOrder).toBe('reference');
      if (method.layers !== 'none') expect(maps[0].params).toMatchObject({ layer: state.model!.defaultLayer, layerChosenBy: 'default' });
      // Methods that draw masks show a few (6 masks and 6 masked images).
      expect(await page.locator('#masks .tile:visible').count()).toBe(maps[0].params.masks ? 12 : 0);
      // The app passes over GPUs emulated in software, so on CI the page runs wasm like Node does.
      await checkAgainstNode(maps, state.backend === 'wasm' ? MAP_TOLERANCE : GPU_TOLERANCE);
      await screenshot(page, `02-${method.id}`);
    });
  }

  const multiLayer = METHODS.find((m) => m.layers === 'many');
  test.runIf(multiLayer)(`${multiLayer?.id}: several layers, averaged, equal Node's`, async () => {
    const state = await snapshot(page);
    await chooseMethod(page, multiLayer!.id);
    // The default and the last feature map of another size: two resolutions, averaged at the input's.
    const maps = (model as WhiteBoxClassifier).layers().filter((l) => l.camTarget);
    const byName = (name: string) => maps.find((l) => l.name === name)!;
    const fallback = byName(state.model!.defaultLayer!);
    const other = maps.filter((l) => l.shape.join() !== fallback.shape.join()).at(-1)!;
    const offered = await page.locator('#layer option').evaluateAll((all) => (all as HTMLOptionElement[]).map((o) => o.value));
    expect(offered).toEqual(maps.map((l) => l.name));
    const two = [other.name, fallback.name];
    await page.selectOption('#layer', two);
    await explain(page, multiLayer!.id);
    const { explained } = await snapshot(page);
    expect(explained!.maps[0].params).toMatchObject({ layer: two.join(','), layerChosenBy: 'caller' });
    await checkAgainstNode(explained!.maps, state.backend === 'wasm' ? MAP_TOLERANCE : GPU_TOLERANCE);
    await screenshot(page, '02-several-layers');
    await page.selectOption('#layer', state.model!.defaultLayer!);
  });

  test('insertion and deletion curves match Node and show their AUCs', async () => {
    await explain(page, 'rise', RISE);
    const state = await snapshot(page);
    const map = state.explained!.maps[0];
    const curves = state.curves!;
    expect(curves.insertion.scores).toHaveLength(96 + 1);
    const input = nodeInput(model, state.image!);
    try {
      const expected = await referenceCurves(model, input, asSaliencyMap(map));
      for (const kind of ['insertion', 'deletion'] as const) {
        expect(curves[kind].classIndex).toBe(map.classIndex);
        expect(Math.abs(curves[kind].auc - expected[kind].auc)).toBeLessThan(CURVE_TOLERANCE);
        expect(relativeError(curves[kind].scores, expected[kind].scores)).toBeLessThan(CURVE_TOLERANCE);
        const chart = page.locator(`#curves .curve[data-kind="${kind}"]`);
        expect(await chart.locator('polyline').count()).toBe(1);
        expect(await chart.textContent()).toContain(`AUC = ${curves[kind].auc.toFixed(3)}`);
      }
    } finally {
      input.dispose();
    }
  });

  test('downloads a PNG, the maps as .npy and a JSON record', async () => {
    const state = await snapshot(page);
    const maps = state.explained!.maps;
    const saved = async (id: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#${id}`)]);
      return { name: download.suggestedFilename(), bytes: readFileSync((await download.path())!) };
    };
    const png = await saved('download-png');
    expect(png.name).toMatch(/^rise-.*\.png$/);
    expect(png.bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
    // The image's own resolution (the sample is 96×96), with the colour bar below it.
    expect([png.bytes.readUInt32BE(16), png.bytes.readUInt32BE(20)]).toEqual([96, 96 + 46]);

    const npy = await saved('download-npy');
    const array = parseNpy(new Uint8Array(npy.bytes));
    expect(array.shape).toEqual([maps.length, 96, 96]);
    expect(Array.from(array.data.subarray(0, 96 * 96) as Float32Array)).toEqual(maps[0].data);

    const json = JSON.parse((await saved('download-json')).bytes.toString('utf8'));
    expect(json).toMatchObject({ method: 'rise', classIndex: maps[0].classIndex, params: { n: RISE.n, seed: RISE.seed } });
    expect(json.insertion.auc).toBeCloseTo(state.curves!.insertion.auc, 10);
    expect(json.npyClasses).toEqual(maps.map((m) => m.classIndex));
  });

  test('opacity and colour map restyle the overlay', async () => {
    const pixels = () => page.evaluate(() => (document.getElementById('overlay') as HTMLCanvasElement).toDataURL());
    const before = await pixels();
    await page.selectOption('#colormap', 'viridis');
    await page.locator('#opacity').fill('0.9');
    expect(await pixels()).not.toBe(before);
    await screenshot(page, '03-restyled');
    await page.selectOption('#colormap', 'jet');
    await page.locator('#opacity').fill('0.5');
  });

  test("compares every method side by side; the AUCs equal Node's, and each map finds the shape", async () => {
    await page.click('#compare');
    await idle(page);
    expect(await visibleMessage(page)).toBeUndefined();
    const state = await snapshot(page);
    const { comparison } = state;
    expect(comparison.map((c) => c.map.method)).toEqual(registry.ids());
    const input = nodeInput(model, state.image!);
    const deletions: Record<string, [number, number]> = {};
    try {
      for (const entry of comparison) {
        const map = asSaliencyMap(entry.map);
        const expected = await referenceCurves(model, input, map);
        for (const kind of ['insertion', 'deletion'] as const) {
          expect(Math.abs(entry.curves[kind].auc - expected[kind].auc), `${map.method} ${kind}`).toBeLessThan(CURVE_TOLERANCE);
        }
        // A map that finds the shape: deleting its most salient pixels first destroys the class
        // far sooner than deleting its least salient first (the same map turned upside down).
        const top = Math.max(...map.data);
        const reversed = await referenceCurves(model, input, { ...map, data: map.data.map((v) => top - v) });
        deletions[map.method] = [entry.curves.deletion.auc, reversed.deletion.auc];
      }
    } finally {
      input.dispose();
    }
    // Here (demo model, first sample) the map's deletion AUCs are 0.01–0.05, the reversed maps' 0.35–0.79.
    for (const [method, [forward, reversed]] of Object.entries(deletions)) {
      expect(forward, `${method}: deletion AUC of the map, ${forward}, and of the map reversed, ${reversed}`).toBeLessThan(reversed - 0.2);
    }
    const captions = await page.locator('#comparison figcaption').allTextContents();
    expect(captions).toHaveLength(comparison.length);
    comparison.forEach((entry, k) => {
      expect(captions[k]).toContain(registry.label(entry.map.method));
      expect(captions[k]).toContain(entry.curves.insertion.auc.toFixed(3));
    });
    await screenshot(page, '04-compare');
  });

  test('a file that is not an image gives a message and the app stays usable', async () => {
    await page.setInputFiles('#image-file', notAnImage());
    await idle(page);
    expect(await visibleMessage(page)).toMatch(/not an image/);
    await screenshot(page, '05-not-an-image');
    await page.click('#samples button >> nth=1');
    await idle(page);
    expect(await visibleMessage(page)).toBeUndefined();
    expect(await page.locator('#predictions li').count()).toBeGreaterThan(0);
  });

  test('an image dropped on the page is read and predicted', async () => {
    const url = new URL(`demo/samples/${await page.getAttribute('#samples button >> nth=2', 'title')}`, server.url).href;
    const transfer = await page.evaluateHandle(async (source) => {
      const bytes = await (await fetch(source)).arrayBuffer();
      const data = new DataTransfer();
      data.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      return data;
    }, url);
    await page.dispatchEvent('#image-drop', 'drop', { dataTransfer: transfer });
    await page.waitForFunction(() => document.getElementById('input-caption')?.textContent?.startsWith('dropped.png'));
    await idle(page);
    expect(await visibleMessage(page)).toBeUndefined();
    expect(await page.locator('#predictions li').count()).toBeGreaterThan(0);
  });

  test('a model whose input is not an image is refused; the demo model stays in use', async () => {
    const before = await page.textContent('#model-name');
    await page.setInputFiles('#model-files', await vectorModelFiles());
    await idle(page);
    expect(await visibleMessage(page)).toMatch(/image input/);
    expect(await page.textContent('#model-name')).toBe(before);
    await screenshot(page, '06-bad-model');
    await explain(page, 'abs-cam-init');
  });

  test('an ONNX model with an unsupported operator is refused with its name', async () => {
    await page.setInputFiles('#model-files', unsupportedOpOnnx());
    await idle(page);
    expect(await visibleMessage(page)).toMatch(/Relx/);
    await screenshot(page, '07-unsupported-operator');
  });

  test('an ONNX model loads with a preprocessing preset and explains', async () => {
    // A preprocessing change applies at once (the demo model is set up again): wait for it.
    await page.selectOption('#preprocessing', 'imagenet');
    await idle(page);
    await page.setInputFiles('#model-files', tinyResnetOnnx());
    await idle(page);
    expect(await visibleMessage(page)).toBeUndefined();
    const state = await snapshot(page);
    expect(state.model).toMatchObject({ name: 'tiny-resnet.onnx', input: { height: 64, width: 64, channels: 3 }, numClasses: 4 });
    await explain(page, 'abs-cam-final');
    const map = (await snapshot(page)).explained!.maps[0];
    expect([map.height, map.width]).toEqual([64, 64]);
    expect(map.data.every(Number.isFinite)).toBe(true);
    // The CAM family works at the ONNX graph's default layer too.
    await explain(page, 'grad-cam');
    const cam = (await snapshot(page)).explained!.maps[0];
    expect(cam.params.layer).toBe((await snapshot(page)).model!.defaultLayer);
    expect(Math.max(...cam.data)).toBeCloseTo(1, 5);
    await screenshot(page, '08-onnx');
    await page.selectOption('#preprocessing', '');
    await idle(page);
    await page.click('#demo-model');
    await idle(page);
    expect((await snapshot(page)).model?.input.height).toBe(96);
  });

  test('a ViT from ONNX: RISE, Abs-CAM at its token layer and the curves, as in Node', async () => {
    await page.selectOption('#preprocessing', 'imagenet');
    await idle(page);
    const file = tinyVitOnnx();
    await page.setInputFiles('#model-files', file);
    await idle(page);
    expect(await visibleMessage(page)).toBeUndefined();
    const state = await snapshot(page);
    expect(state.model).toMatchObject({ name: 'vit-opset17.onnx', input: { height: 32, width: 32, channels: 3 }, numClasses: 10 });
    expect(state.model!.defaultLayer).toBe('encoder.layers.encoder_layer_1.ln_1');
    const before = tf.memory().numTensors;
    const vit = await loadOnnxModel(new Uint8Array(file.buffer), { engine: 'tfjs', preprocessing: 'imagenet' });
    const input = nodeInput(vit, state.image!);
    try {
      for (const [method, params] of [['abs-cam-init', {}], ['abs-cam-final', {}], ['rise', RISE]] as const) {
        await explain(page, method, params);
        const { explained, curves } = await snapshot(page);
        const maps = explained!.maps;
        expect([maps[0].height, maps[0].width], method).toEqual([32, 32]);
        if (method !== 'rise') expect(maps[0].params.layer, method).toBe('encoder.layers.encoder_layer_1.ln_1');
        const [expected] = await referenceMaps(vit, input, maps);
        expect(relativeError(maps[0].data, expected.data), method).toBeLessThan(MAP_TOLERANCE);
        const reference = await referenceCurves(vit, input, asSaliencyMap(maps[0]));
        for (const kind of ['insertion', 'deletion'] as const) {
          expect(Math.abs(curves![kind].auc - reference[kind].auc), `${method} ${kind}`).toBeLessThan(CURVE_TOLERANCE);
        }
      }
    } finally {
      input.dispose();
      vit.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    await screenshot(page, '08b-vit');
    await page.selectOption('#preprocessing', '');
    await idle(page);
    await page.click('#demo-model');
    await idle(page);
    expect((await snapshot(page)).model?.input.height).toBe(96);
  });

  test('Cancel stops a long RISE run and the app stays usable', async () => {
    await chooseMethod(page, 'rise', { n: 50_000 });
    await page.click('#explain');
    await page.waitForFunction(() => Number((document.getElementById('progress') as HTMLProgressElement).value) > 0, undefined, { timeout: 30_000 });
    // The run is in the worker: the page answers a 50 ms timer on time, again and again.
    const lateness = await page.evaluate(async () => {
      let worst = 0;
      for (let i = 0; i < 10; i++) {
        const start = performance.now();
        await new Promise((resolve) => setTimeout(resolve, 50));
        worst = Math.max(worst, performance.now() - start - 50);
      }
      return worst;
    });
    expect(lateness).toBeLessThan(200);
    expect(await page.getAttribute('body', 'data-busy')).toBe('true');
    await screenshot(page, '09-running');
    const started = Date.now();
    await page.click('#cancel');
    await idle(page, 20_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await visibleMessage(page)).toBe('Cancelled.');
    expect(await page.textContent('#progress-label')).toBe('cancelled');
    await screenshot(page, '10-cancelled');
    await explain(page, 'rise', RISE);
  });
});

// WebGPU on this machine is SwiftShader too: a minute to start, so it runs only when asked for.
const gpuBackends = process.env.PLAYGROUND_WEBGPU ? ['webgl', 'webgpu'] : ['webgl'];

describe.each(gpuBackends)('%s, when asked for', (backend) => {
  test('Abs-CAM runs on it and agrees with Node', async () => {
    const gpuPage = await chromium.context.newPage();
    try {
      await openApp(gpuPage, `${server.url}?backend=${backend}`);
      expect((await gpuPage.textContent('#backend'))?.trim()).toBe(backend);
      await explain(gpuPage, 'abs-cam-init');
      const state = await snapshot(gpuPage);
      const input = nodeInput(model, state.image!);
      try {
        const [expected] = await referenceMaps(model, input, state.explained!.maps);
        expect(relativeError(state.explained!.maps[0].data, expected.data)).toBeLessThan(GPU_TOLERANCE);
      } finally {
        input.dispose();
      }
      await screenshot(gpuPage, `11-${backend}`);
    } finally {
      await gpuPage.close();
    }
  });
});
