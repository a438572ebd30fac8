// A page that is not cross-origin isolated (wasm on one thread): the black-box passes of tfjs
// models run on a pool of nested Web Workers (src/worker/pool.ts, @xai/core's webWorkers), with
// the same bytes as in-process, workers stopped with the model, and a failed pool shown, not hidden.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium, type RunningBrowser } from './chromium.js';
import { tinyResnetOnnx } from './fixtures.js';
import { explain, idle, openApp, snapshot, visibleMessage } from './page.js';
import { startPreview, type RunningPreview } from './server.js';

const RISE = { n: 240, s: 8, p1: 0.5, seed: 5 };
const POOL_SCRIPT = /\/assets\/pool-worker-[\w-]+\.js$/;
const demoModel = resolve(import.meta.dirname, '../dist/demo/model');

let server: RunningPreview;
let chromium: RunningBrowser;
let page: Page;
/** The RISE map and its curves from the 2-worker run, to compare the other runs with. */
let pooled: { map: number[]; insertion: number[]; deletion: number[] };

beforeAll(async () => {
  server = await startPreview({ isolated: false });
  chromium = await launchChromium();
  page = await chromium.context.newPage();
});

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

function poolWorkers(): Worker[] {
  return page.workers().filter((w) => POOL_SCRIPT.test(w.url()));
}

/** RISE on the first sample, as the page mapped it and scored its curves. */
async function riseRun(): Promise<typeof pooled> {
  await explain(page, 'rise', RISE);
  const { explained, curves } = await snapshot(page);
  return { map: explained!.maps[0].data, insertion: curves!.insertion.scores, deletion: curves!.deletion.scores };
}

describe('the worker pool when the page is not cross-origin isolated', () => {
  test('2 Web Workers: the badge names the pool, and both workers run the RISE passes', async () => {
    await openApp(page, `${server.url}?workers=2`);
    const { backendInfo, model } = await snapshot(page);
    expect(backendInfo).toMatchObject({ id: 'wasm', crossOriginIsolated: false, wasm: { threads: 1 } });
    expect(model!.passes).toEqual({ engine: 'tfjs', backend: 'wasm', workers: 2 });
    expect(await page.textContent('#backend-badge')).toBe('wasm · SIMD · 1 thread · passes: tfjs-wasm · 2 workers');
    expect(await page.textContent('#backend-notes')).toContain('tfjs (wasm) on 2 workers, each with its own copy of the model');
    // The pool starts on the first batch of more than one chunk: predicting one image needs none.
    expect(poolWorkers()).toHaveLength(0);
    pooled = await riseRun();
    expect(poolWorkers()).toHaveLength(2);
    expect(new Set(pooled.map).size).toBeGreaterThan(100);
  });

  test('a new model disposes the old one: its workers are terminated', async () => {
    const workers = poolWorkers();
    expect(workers).toHaveLength(2);
    const closed = workers.map((w) => w.waitForEvent('close', { timeout: 10_000 }));
    await page.click('#demo-model');
    await idle(page);
    await Promise.all(closed);
    expect(poolWorkers()).toHaveLength(0);
  });

  test('a tfjs model dropped as files: the workers rebuild it from the bytes, and map as the demo model did', async () => {
    await page.setInputFiles('#model-files', [
      { name: 'model.json', mimeType: 'application/json', buffer: readFileSync(resolve(demoModel, 'model.json')) },
      { name: 'weights.bin', mimeType: 'application/octet-stream', buffer: readFileSync(resolve(demoModel, 'weights.bin')) },
    ]);
    await idle(page);
    expect(await visibleMessage(page)).toBeUndefined();
    expect((await snapshot(page)).model).toMatchObject({ name: 'model.json', passes: { workers: 2 } });
    const dropped = await riseRun();
    expect(poolWorkers()).toHaveLength(2);
    expect(dropped).toEqual(pooled);
  });

  test('an ONNX model without an onnxruntime-web session: the tfjs graph runs on the pool, from the bytes, as in-process', async () => {
    // onnxruntime-web's binary missing: no session, so the passes fall to the tfjs graph.
    const noOrt = await startPreview({ isolated: false, missing: /\/assets\/ort-wasm-simd-threaded-[\w-]+\.wasm$/ });
    try {
      const runs: (typeof pooled)[] = [];
      for (const workers of [2, 1]) {
        await openApp(page, `${noOrt.url}?workers=${workers}`);
        await page.selectOption('#preprocessing', 'imagenet');
        await idle(page);
        await page.setInputFiles('#model-files', tinyResnetOnnx());
        await idle(page);
        expect(await visibleMessage(page)).toBeUndefined();
        const { model } = await snapshot(page);
        expect(model).toMatchObject({ name: 'tiny-resnet.onnx', whiteBox: true, engine: 'tfjs:wasm' });
        expect(model!.passes).toEqual(workers === 2 ? { engine: 'tfjs', backend: 'wasm', workers: 2 } : { engine: 'tfjs' });
        runs.push(await riseRun());
        expect(poolWorkers()).toHaveLength(workers === 2 ? 2 : 0);
      }
      expect(runs[0]).toEqual(runs[1]);
    } finally {
      await noOrt.close();
    }
  });

  test('pool off (?workers=1): no workers, no pool in the badge, the same bytes as on 2 workers', async () => {
    await openApp(page, `${server.url}?workers=1`);
    expect((await snapshot(page)).model!.passes).toEqual({ engine: 'tfjs' });
    expect(await page.textContent('#backend-badge')).toBe('wasm · SIMD · 1 thread');
    const inProcess = await riseRun();
    expect(poolWorkers()).toHaveLength(0);
    expect(inProcess).toEqual(pooled);
  });

  test('a pool worker that cannot start: the passes go on in-process, the same bytes, and the badge says why', async () => {
    const broken = await startPreview({ isolated: false, missing: POOL_SCRIPT });
    try {
      await openApp(page, `${broken.url}?workers=2`);
      const fallback = await riseRun();
      expect(fallback).toEqual(pooled);
      const { model } = await snapshot(page);
      expect(model!.passes).toMatchObject({ engine: 'tfjs', backend: 'wasm', workers: 1 });
      expect(model!.passes.inProcess).toMatch(/^a worker stopped while loading the model \(buildTfjsModel from .*pool-worker-[\w-]+\.js\): /);
      expect(await page.textContent('#backend-badge')).toBe('wasm · SIMD · 1 thread · passes: tfjs-wasm · in-process (the pool failed)');
      expect(await page.textContent('#backend-notes')).toContain("in the app's worker, because the worker pool failed: a worker stopped while loading the model");
      expect(poolWorkers()).toHaveLength(0);
    } finally {
      await broken.close();
    }
  });
});
