// Gradients of ONNX models in the page: gradient graphs of standard ONNX operators run by
// onnxruntime-web (wasm, threaded), with the maps equal to Node's (onnxruntime-node's gradient
// graphs) and to the goldens (pytorch-grad-cam, Captum); a model whose gradient graph cannot be
// built takes its gradients from the tfjs graph, and the page says so and why.
import * as tf from '@tensorflow/tfjs-core';
import { loadOnnxModel, type OnnxClassifier } from '@xai/onnx/node';
import { nchwToNhwc, readFixtureFloat32 } from '@xai/testing';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { opset10Onnx, tinyChelseaInputPng, tinyResnetOnnx, type DroppedFile } from './fixtures.js';
import { chooseMethod, idle, openApp, pressExplain, screenshot, snapshot, visibleMessage } from './page.js';
import { nodeInput, referenceMaps, relativeError, type PageMap } from './reference.js';
import { closePlayground, openPlayground, type PlaygroundSession } from './session.js';

/** onnxruntime-web in the page, onnxruntime-node (or PyTorch, for the goldens) in Node: float32 rounding apart. */
const TOLERANCE = 1e-4;
const GRAPHS = 'onnxruntime-web (gradient graph)';
/** baselines.json's class_index, the top class of the golden input. */
const CLASS = 1;

let session: PlaygroundSession;
let page: Page;
/** Uncaught errors and console errors of the page and its workers. */
const problems: string[] = [];

function watch(p: Page): void {
  p.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  p.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
}

beforeAll(async () => {
  session = await openPlayground();
  page = session.page;
  watch(page);
});

afterAll(() => closePlayground(session));

/** The ImageNet preset, then the model, then the golden input's pixels. */
async function openGoldenCase(p: Page, model: DroppedFile): Promise<void> {
  await p.selectOption('#preprocessing', 'imagenet');
  await idle(p);
  await p.setInputFiles('#model-files', model);
  await idle(p);
  await p.setInputFiles('#image-file', tinyChelseaInputPng());
  await idle(p);
  expect(await visibleMessage(p)).toBeUndefined();
}

/** Runs `method` in the page and returns its map and who computed its gradients. */
async function run(p: Page, method: string, layer?: string): Promise<{ map: PageMap; gradients?: string }> {
  await chooseMethod(p, method);
  if (layer) await p.selectOption('#layer', layer);
  await pressExplain(p);
  const message = await visibleMessage(p);
  if (message) throw new Error(`${method} failed in the page: ${message}`);
  const { explained } = await snapshot(p);
  expect(explained!.maps[0].method).toBe(method);
  return { map: explained!.maps[0], gradients: explained!.gradients };
}

function golden(file: string): Float32Array {
  return readFixtureFloat32('tiny-chelsea', 'baselines', `${file}.npy`).data;
}

/** A Captum golden (1×3×64×64, NCHW) in the page's NHWC order. */
function goldenNhwc(file: string): Float32Array {
  const { data, shape } = readFixtureFloat32('tiny-chelsea', 'baselines', `${file}.npy`);
  return nchwToNhwc(data, shape).data;
}

describe('gradients of ONNX models on onnxruntime-web', () => {
  let reference: OnnxClassifier;
  let input: tf.Tensor4D;
  let before: number;

  beforeAll(async () => {
    before = tf.memory().numTensors;
    const loaded = await loadOnnxModel(new Uint8Array(tinyResnetOnnx().buffer), { engine: 'onnxruntime', preprocessing: 'imagenet' });
    if (!('gradientEngine' in loaded)) throw new Error('the golden model loaded black-box in Node');
    reference = loaded;
  });

  afterAll(() => {
    input?.dispose();
    reference?.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('tiny-chelsea: the page says its gradients come from onnxruntime-web, whose build runs every operator of the gradient graphs', async () => {
    await openGoldenCase(page, tinyResnetOnnx());
    const { model, image, top, backendInfo } = await snapshot(page);
    const threads = Math.min(8, await page.evaluate(() => navigator.hardwareConcurrency));
    expect(model).toMatchObject({ engine: 'onnxruntime-web', gradients: GRAPHS, passes: { engine: 'onnxruntime-web', threads } });
    expect(top![0].classIndex).toBe(CLASS);
    expect(await page.textContent('#model-details')).toContain(`gradients: ${GRAPHS}`);
    expect(await page.textContent('#backend-badge')).toBe(`wasm · SIMD · ${backendInfo!.wasm!.threads} threads · passes and gradients: onnxruntime-web · ${threads} threads`);
    expect(await page.textContent('#backend-notes')).toContain('layers and gradients: onnxruntime-web, wasm, through gradient graphs');
    // The page's preprocessed pixels are the golden input.
    input = nodeInput(reference, image!);
    const nchw = readFixtureFloat32('tiny-chelsea', 'input.npy');
    expect(relativeError(await input.data(), nchwToNhwc(nchw.data, nchw.shape).data)).toBeLessThan(1e-6);
    // Node's side runs gradient graphs too; the input's has the operators the wasm build must have.
    expect(reference.gradientEngine).toBe('onnxruntime-node (gradient graph)');
    const graph = Buffer.from(reference.gradientGraph({ input: true }).bytes);
    for (const op of ['ScatterElements', 'ConvTranspose']) expect(graph.includes(op), op).toBe(true);
  });

  test('Grad-CAM at layer4 equals Node’s and pytorch-grad-cam’s', async () => {
    const { map, gradients } = await run(page, 'grad-cam', 'layer4');
    expect(gradients).toBe(GRAPHS);
    expect(map).toMatchObject({ classIndex: CLASS, height: 64, width: 64, params: { layer: 'layer4' } });
    const [node] = await referenceMaps(reference, input, [map]);
    expect(relativeError(map.data, node.data)).toBeLessThan(TOLERANCE);
    expect(relativeError(map.data, golden('gradcam_layer4'))).toBeLessThan(TOLERANCE);
    expect(await page.textContent('#run-details')).toContain(`gradients on ${GRAPHS}`);
  });

  test.each([
    ['integrated-gradients', 'integrated_gradients'],
    ['guided-backprop', 'guided_backprop'],
  ])('%s: the signed attribution equals Node’s and Captum’s', async (method, file) => {
    const { map, gradients } = await run(page, method);
    expect(gradients).toBe(GRAPHS);
    if (method === 'integrated-gradients') expect(map.params).toMatchObject({ steps: 32, rule: 'gausslegendre', baseline: 'zeros' });
    const [node] = await referenceMaps(reference, input, [map]);
    const attribution = map.attribution!;
    expect(attribution.channels).toBe(3);
    expect(relativeError(attribution.data, node.attribution!.data)).toBeLessThan(TOLERANCE);
    expect(relativeError(attribution.data, goldenNhwc(file))).toBeLessThan(TOLERANCE);
    expect(relativeError(map.data, node.data)).toBeLessThan(TOLERANCE);
    await screenshot(page, `13-onnx-gradients-${method}`);
  });

  test.each([
    ['integrated-gradients', { steps: 1024, rule: 'gausslegendre' }, '4'],
    ['rise', { n: 50_000 }, '32'],
  ] as const)('Cancel stops %s on onnxruntime-web between two batches', async (method, params, batch) => {
    await chooseMethod(page, method, params);
    await page.fill('#batch-size', batch);
    await page.click('#explain');
    await page.waitForFunction(() => Number((document.getElementById('progress') as HTMLProgressElement).value) > 0, undefined, { timeout: 30_000 });
    const started = Date.now();
    await page.click('#cancel');
    await idle(page, 20_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await visibleMessage(page)).toBe('Cancelled.');
    await page.fill('#batch-size', '');
  });

  test('the page and its workers logged no error', () => {
    expect(problems).toEqual([]);
  });
});

describe('an ONNX model whose gradient graph cannot be built', () => {
  test('opset 10: the gradients come from the tfjs graph, the page says why after the run, and the map is Node’s', async () => {
    const file = opset10Onnx();
    await openGoldenCase(page, file);
    const loaded = await snapshot(page);
    // Gradient graphs are built on first use: until then the page names the engine it will try.
    expect(loaded.model).toMatchObject({ name: 'opset-10.onnx', engine: 'onnxruntime-web', gradients: GRAPHS });
    const { map, gradients } = await run(page, 'saliency');
    const reason = 'the model was exported at opset 10; gradient graphs need opset 11 or later';
    expect(gradients).toContain(`tfjs:wasm (${reason}`);
    expect((await snapshot(page)).model!.gradients).toBe(gradients);
    expect(await page.textContent('#model-details')).toContain(`gradients: tfjs:wasm (${reason}`);
    const badge = await page.textContent('#backend-badge');
    expect(badge).toMatch(/ · passes: onnxruntime-web · \d threads$/);
    expect(await page.textContent('#backend-notes')).toContain(`layers and gradients: the tfjs graph, tfjs:wasm (${reason}`);

    const before = tf.memory().numTensors;
    const reference = await loadOnnxModel(new Uint8Array(file.buffer), { preprocessing: 'imagenet' });
    try {
      const input = nodeInput(reference, (await snapshot(page)).image!);
      const [node] = await referenceMaps(reference, input, [map]);
      input.dispose();
      expect((reference as OnnxClassifier).gradientEngine).toContain(reason);
      expect(relativeError(map.attribution!.data, node.attribution!.data)).toBeLessThan(TOLERANCE);
      // Captum's Saliency is |∂y/∂x|.
      expect(relativeError(map.attribution!.data.map(Math.abs), goldenNhwc('saliency'))).toBeLessThan(TOLERANCE);
    } finally {
      reference.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    await page.selectOption('#preprocessing', '');
    await idle(page);
    await page.click('#demo-model');
    await idle(page);
    expect((await snapshot(page)).model).toMatchObject({ gradients: 'tfjs:wasm' });
    expect(problems).toEqual([]);
  });
});

describe('tfjs on WebGL, gradients on onnxruntime-web', () => {
  test('Grad-CAM at layer4: the gradient graph runs on onnxruntime-web’s wasm; the map is the golden’s', async () => {
    const webgl = await session.chromium.context.newPage();
    watch(webgl);
    try {
      await openApp(webgl, `${session.server.url}?backend=webgl`);
      await openGoldenCase(webgl, tinyResnetOnnx());
      expect((await snapshot(webgl)).model).toMatchObject({ engine: 'onnxruntime-web', gradients: GRAPHS });
      expect(await webgl.textContent('#backend-badge')).toMatch(/^webgl · passes and gradients: onnxruntime-web · \d threads$/);
      const { map, gradients } = await run(webgl, 'grad-cam', 'layer4');
      expect(gradients).toBe(GRAPHS);
      expect(relativeError(map.data, golden('gradcam_layer4'))).toBeLessThan(1e-3);
    } finally {
      await webgl.close();
    }
    expect(problems).toEqual([]);
  });
});
