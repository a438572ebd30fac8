// ONNX models in the page: their forward passes on onnxruntime-web's wasm backend (threaded when
// the page is cross-origin isolated), the maps as Node's. Their gradients: onnx-gradients.test.ts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '@xai/core';
import { loadOnnxModel } from '@xai/onnx';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { celuCnnOnnx, tinyResnetOnnx, type DroppedFile } from './fixtures.js';
import { explain, idle, screenshot, snapshot, visibleMessage } from './page.js';
import { asSaliencyMap, nodeInput, referenceCurves, referenceMaps, relativeError } from './reference.js';
import { closePlayground, openPlayground, type PlaygroundSession } from './session.js';

/** onnxruntime-web in the page and onnxruntime-node in Node: float32 rounding apart. */
const TOLERANCE = 1e-4;
const RISE = { n: 300, s: 8, p1: 0.5, seed: 3 };
const OCCLUSION = { window: 24, stride: 12 };
const appRoot = resolve(import.meta.dirname, '..');
const ortDist = resolve(appRoot, 'node_modules/onnxruntime-web/dist');

let session: PlaygroundSession;
let page: Page;
/** Every URL the page and its workers asked for, from the start. */
const requested: string[] = [];

beforeAll(async () => {
  session = await openPlayground();
  page = session.page;
  session.chromium.context.on('request', (request) => requested.push(request.url()));
});

afterAll(() => closePlayground(session));

async function dropOnnx(file: DroppedFile, preprocessing: string): Promise<void> {
  await page.selectOption('#preprocessing', preprocessing);
  await idle(page);
  await page.setInputFiles('#model-files', file);
  await idle(page);
  expect(await visibleMessage(page)).toBeUndefined();
}

/** The page's map for `method` and its curves against Node's, on the pixels the page decoded. */
async function checkAgainstNode(reference: Classifier, method: string, params: Record<string, number> = {}): Promise<void> {
  await explain(page, method, params);
  const { explained, curves, image } = await snapshot(page);
  const input = nodeInput(reference, image!);
  try {
    const [expected] = await referenceMaps(reference, input, explained!.maps);
    expect(relativeError(explained!.maps[0].data, expected.data), method).toBeLessThan(TOLERANCE);
    const nodeCurves = await referenceCurves(reference, input, asSaliencyMap(explained!.maps[0]));
    for (const kind of ['insertion', 'deletion'] as const) {
      expect(relativeError(curves![kind].scores, nodeCurves[kind].scores), `${method} ${kind}`).toBeLessThan(TOLERANCE);
    }
  } finally {
    input.dispose();
  }
}

describe('ONNX models on onnxruntime-web', () => {
  test('a white-box ONNX model: passes on onnxruntime-web with every core, the badge says so, maps as in Node', async () => {
    await dropOnnx(tinyResnetOnnx(), 'imagenet');
    const { model, backendInfo } = await snapshot(page);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const threads = Math.min(8, cores);
    expect(threads).toBeGreaterThan(1);
    expect(model).toMatchObject({ name: 'tiny-resnet.onnx', whiteBox: true, engine: 'onnxruntime-web', passes: { engine: 'onnxruntime-web', threads } });
    expect(await page.textContent('#backend-badge')).toBe(`wasm · SIMD · ${backendInfo!.wasm!.threads} threads · passes and gradients: onnxruntime-web · ${threads} threads`);
    expect(await page.textContent('#model-details')).toContain('engine onnxruntime-web');
    // onnxruntime-web's own thread workers run its glue file; threads − 1 of them beside the caller.
    const ortThreads = page.workers().filter((w) => /\/assets\/ort-wasm-simd-threaded-[\w-]+\.mjs$/.test(w.url()));
    expect(ortThreads.length).toBeGreaterThanOrEqual(threads - 1);

    const before = tf.memory().numTensors;
    const reference = await loadOnnxModel(new Uint8Array(tinyResnetOnnx().buffer), { preprocessing: 'imagenet' });
    try {
      expect(reference.engine).toBe('onnxruntime-node');
      await checkAgainstNode(reference, 'rise', RISE);
      await checkAgainstNode(reference, 'score-cam');
      await checkAgainstNode(reference, 'occlusion', OCCLUSION);
    } finally {
      reference.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    await screenshot(page, '12-onnxruntime-web');
  });

  test('an ONNX model the tfjs graph cannot run works black-box on onnxruntime-web', async () => {
    await dropOnnx(celuCnnOnnx(), '');
    const { model } = await snapshot(page);
    expect(model).toMatchObject({ name: 'celu-cnn.onnx', whiteBox: false, engine: 'onnxruntime-web', passes: { engine: 'onnxruntime-web' } });
    expect(model!.gradients).toBeUndefined();
    expect(await page.textContent('#model-details')).toContain('black-box (predictions only)');
    expect(await page.textContent('#backend-badge')).toMatch(/ · passes: onnxruntime-web · \d threads$/);
    const before = tf.memory().numTensors;
    const reference = await loadOnnxModel(new Uint8Array(celuCnnOnnx().buffer));
    try {
      expect(reference.engine).toBe('onnxruntime-node');
      await checkAgainstNode(reference, 'rise', RISE);
    } finally {
      reference.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    await page.click('#demo-model');
    await idle(page);
    expect((await snapshot(page)).model).toMatchObject({ input: { height: 96 }, passes: { engine: 'tfjs' } });
    expect(await page.textContent('#backend-badge')).not.toContain('onnxruntime');
  });

  test('the build ships onnxruntime-web’s binary and glue, and the page fetched them from it alone', () => {
    const assets = readdirSync(resolve(appRoot, 'dist/assets'));
    for (const [name, pattern] of [['ort-wasm-simd-threaded.wasm', /^ort-wasm-simd-threaded-[\w-]+\.wasm$/], ['ort-wasm-simd-threaded.mjs', /^ort-wasm-simd-threaded-[\w-]+\.mjs$/]] as const) {
      const built = assets.filter((a) => pattern.test(a));
      expect(built, name).toHaveLength(1);
      expect(readFileSync(resolve(appRoot, 'dist/assets', built[0])).equals(readFileSync(resolve(ortDist, name))), name).toBe(true);
      expect(requested.some((url) => url === `${session.server.url}assets/${built[0]}`), `${name} fetched`).toBe(true);
    }
    // Only the threaded SIMD build (no WebGPU/JSEP variants of 20+ MB each).
    expect(assets.filter((a) => a.startsWith('ort-') && a.endsWith('.wasm'))).toHaveLength(1);
    expect(statSync(resolve(ortDist, 'ort-wasm-simd-threaded.wasm')).size).toBeGreaterThan(1e6);
    // Everything came from the preview server: the built folder works offline.
    expect(requested.filter((url) => !url.startsWith(session.server.url) && !url.startsWith('blob:') && !url.startsWith('data:'))).toEqual([]);
  });
});
