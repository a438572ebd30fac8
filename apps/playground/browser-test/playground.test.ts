import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { parseNpy, type Classifier } from '@xai/core';
import { launchChromium, type RunningBrowser } from './chromium.js';
import { readPngRgba } from './png.js';
import { notAnImage, tinyResnetOnnx, unsupportedOpOnnx, vectorModelFiles } from './fixtures.js';
import { explain, idle, openApp, screenshot, snapshot, visibleMessage } from './page.js';
import { demoModel, nodeInput, referenceCurves, referenceMaps, relativeError, startNodeBackend, type PageMap } from './reference.js';
import { startPreview, type RunningPreview } from './server.js';

/** Same backend (wasm) in the page and in Node: the maps agree to float32 rounding. */
const MAP_TOLERANCE = 1e-4;
/** Curve points are probabilities; SPEC.md's tolerance for them. */
const CURVE_TOLERANCE = 1e-4;
/** A GPU backend (WebGL on SwiftShader here) against Node's wasm. */
const GPU_TOLERANCE = 1e-3;
const RISE = { n: 300, s: 8, p1: 0.5, seed: 3 };

let server: RunningPreview;
let chromium: RunningBrowser;
let page: Page;
let model: Classifier;

beforeAll(async () => {
  server = await startPreview();
  chromium = await launchChromium();
  await startNodeBackend();
  model = await demoModel(server.url);
  page = await chromium.context.newPage();
  await openApp(page, server.url);
});

afterAll(async () => {
  model?.dispose();
  await chromium?.close();
  await server?.close();
});

async function checkAgainstNode(maps: PageMap[], tolerance: number): Promise<void> {
  const { image } = await snapshot(page);
  const input = nodeInput(model, image!);
  try {
    const expected = await referenceMaps(model, input, maps);
    maps.forEach((map, k) => {
      expect(expected[k].classIndex).toBe(map.classIndex);
      expect(relativeError(map.data, expected[k].data), `${map.method} class ${map.classIndex}`).toBeLessThan(tolerance);
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
    expect(await page.getAttribute('#backend', 'title'), 'why better backends were passed over').toBeTruthy();
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

  for (const method of ['rise', 'rise-gaussian', 'abs-cam-init', 'abs-cam-final']) {
    test(`${method}: the maps equal Node's for the same seed`, async () => {
      await explain(page, method, RISE);
      const { explained } = await snapshot(page);
      expect(explained?.method).toBe(method);
      const maps = explained!.maps;
      if (method.startsWith('rise')) {
        expect(maps.length, 'every class has a map').toBe((await snapshot(page)).model!.numClasses);
        expect(maps[0].params).toMatchObject({ n: RISE.n, seed: RISE.seed });
        expect(await page.locator('#class-maps .tile').count()).toBe(maps.length);
        expect(await page.locator('#masks .tile').count()).toBe(12);
      }
      // The app passes over GPUs emulated in software, so on CI the page runs wasm like Node does.
      await checkAgainstNode(maps, (await snapshot(page)).backend === 'wasm' ? MAP_TOLERANCE : GPU_TOLERANCE);
      await screenshot(page, `02-${method}`);
    });
  }

  test('insertion and deletion curves match Node and show their AUCs', async () => {
    await explain(page, 'rise', RISE);
    const state = await snapshot(page);
    const map = state.explained!.maps[0];
    const curves = state.curves!;
    expect(curves.insertion.scores).toHaveLength(96 + 1);
    const input = nodeInput(model, state.image!);
    try {
      const expected = await referenceCurves(model, input, { ...map, data: Float32Array.from(map.data) });
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
    expect([png.bytes.readUInt32BE(16), png.bytes.readUInt32BE(20)]).toEqual([96, 96]);

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

  test('compares all four methods side by side with their AUCs', async () => {
    await page.click('#compare');
    await idle(page);
    expect(await visibleMessage(page)).toBeUndefined();
    const { comparison } = await snapshot(page);
    expect(comparison.map((c) => c.map.method)).toEqual(['rise', 'rise-gaussian', 'abs-cam-init', 'abs-cam-final']);
    for (const entry of comparison) {
      for (const auc of [entry.curves.insertion.auc, entry.curves.deletion.auc]) expect(auc).toBeGreaterThanOrEqual(0);
    }
    const captions = await page.locator('#comparison figcaption').allTextContents();
    expect(captions).toHaveLength(4);
    expect(captions[0]).toContain(comparison[0].curves.insertion.auc.toFixed(3));
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
    await page.selectOption('#preprocessing', 'imagenet');
    await page.setInputFiles('#model-files', tinyResnetOnnx());
    await idle(page);
    expect(await visibleMessage(page)).toBeUndefined();
    const state = await snapshot(page);
    expect(state.model).toMatchObject({ name: 'tiny-resnet.onnx', input: { height: 64, width: 64, channels: 3 }, numClasses: 4 });
    await explain(page, 'abs-cam-final');
    const map = (await snapshot(page)).explained!.maps[0];
    expect([map.height, map.width]).toEqual([64, 64]);
    expect(map.data.every(Number.isFinite)).toBe(true);
    await screenshot(page, '08-onnx');
    await page.selectOption('#preprocessing', '');
    await page.click('#demo-model');
    await idle(page);
    expect((await snapshot(page)).model?.input.height).toBe(96);
  });

  test('Cancel stops a long RISE run and the app stays usable', async () => {
    await page.selectOption('#method', 'rise');
    await page.fill('#n', '50000');
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
