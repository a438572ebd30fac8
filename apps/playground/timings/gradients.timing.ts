// How long the gradient methods take in the page (the built app in headless Chromium), for an ONNX
// model whose gradients come from onnxruntime-web's gradient graphs ("after") and from the tfjs
// graph on tfjs-wasm ("before": the page served with onnxruntime-web's binary answering 404, so the
// model loads on the tfjs engine, as every ONNX model's gradients ran before gradient graphs).
//
//   pnpm --filter playground build
//   TIMINGS_MODEL=/tmp/resnet18.onnx TIMINGS_REPEAT=3 pnpm --filter playground timings
//
// TIMINGS_VARIANTS=after (or before) times one side only.
//
// Each method runs once cold (the first run builds and opens the gradient graph's session) and
// TIMINGS_REPEAT times warm; the seconds are the worker's own (`ExplainResult.seconds`: the map,
// not the insertion and deletion curves, which are cancelled once the map is in).
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, test } from 'vitest';
import { launchChromium } from '../browser-test/chromium.js';
import { tinyResnetOnnx, type DroppedFile } from '../browser-test/fixtures.js';
import { chooseMethod, idle, openApp, snapshot, visibleMessage } from '../browser-test/page.js';
import { startPreview } from '../browser-test/server.js';

const REPEAT = Number(process.env.TIMINGS_REPEAT ?? 3);
const VARIANTS = (process.env.TIMINGS_VARIANTS ?? 'before,after').split(',') as ('before' | 'after')[];
const photo = resolve(import.meta.dirname, '../node_modules/@xai/testing/fixtures/tiny-chelsea/image.png');
const ORT_BINARY = /\/assets\/ort-wasm-simd-threaded-[\w-]+\.wasm$/;
/** Integrated Gradients at batch 32 last: on tfjs-wasm it can run out of memory on a ResNet-18. */
const METHODS = [
  { id: 'grad-cam', batch: 32, label: 'Grad-CAM (default layer)' },
  { id: 'integrated-gradients', batch: 8, label: 'Integrated Gradients (32 steps, batch 8)' },
  { id: 'integrated-gradients', batch: 32, label: 'Integrated Gradients (32 steps, batch 32)' },
] as const;

function models(): DroppedFile[] {
  const extra = process.env.TIMINGS_MODEL;
  const list = [tinyResnetOnnx()];
  if (extra) list.push({ name: basename(extra), mimeType: 'application/octet-stream', buffer: readFileSync(extra) });
  return list;
}

/** One run of `method`: Explain, the worker's seconds once the map is in, then Cancel (the curves are not timed). */
async function timeOnce(page: Page, method: string, batch: number): Promise<number> {
  await chooseMethod(page, method);
  await page.fill('#batch-size', String(batch));
  await page.evaluate(() => (document.getElementById('run-details')!.textContent = ''));
  await page.click('#explain');
  await page.waitForFunction(() => document.getElementById('run-details')!.textContent !== '' || !document.getElementById('message')!.hidden, undefined, {
    timeout: 900_000,
    polling: 100,
  });
  const message = await visibleMessage(page);
  if (message) throw new Error(`${method} failed in the page: ${message}`);
  const { explained } = await snapshot(page);
  if (await page.isEnabled('#cancel')) await page.click('#cancel');
  await idle(page, 900_000);
  return explained!.seconds;
}

interface Row {
  model: string;
  gradients: string;
  method: string;
  cold?: number;
  warm: number[];
  /** The page's message when the method failed. */
  error?: string;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test('gradient methods on onnxruntime-web and on the tfjs graph', async () => {
  const rows: Row[] = [];
  for (const variant of VARIANTS) {
    const server = await startPreview({ missing: variant === 'before' ? ORT_BINARY : undefined });
    const chromium = await launchChromium();
    try {
      const page = await chromium.context.newPage();
      await openApp(page, server.url);
      for (const file of models()) {
        await page.selectOption('#preprocessing', 'imagenet');
        await idle(page);
        await page.setInputFiles('#model-files', file);
        await idle(page, 600_000);
        await page.setInputFiles('#image-file', { name: 'chelsea.png', mimeType: 'image/png', buffer: readFileSync(photo) });
        await idle(page, 600_000);
        expect(await visibleMessage(page)).toBeUndefined();
        const { model, backendInfo } = await snapshot(page);
        expect(model!.gradients!.startsWith(variant === 'after' ? 'onnxruntime-web' : 'tfjs:wasm')).toBe(true);
        for (const method of METHODS) {
          const gradients = `${model!.gradients} (${variant === 'after' ? `${model!.passes.threads} threads` : `${backendInfo!.wasm!.threads} threads`})`;
          const row: Row = { model: `${file.name} (${model!.input.height}×${model!.input.width})`, gradients, method: method.label, warm: [] };
          rows.push(row);
          try {
            row.cold = await timeOnce(page, method.id, method.batch);
            for (let r = 0; r < REPEAT; r++) row.warm.push(await timeOnce(page, method.id, method.batch));
          } catch (error) {
            row.error = (error as Error).message;
            await idle(page, 900_000);
          }
          console.log(JSON.stringify(row));
        }
        await page.fill('#batch-size', '');
      }
    } finally {
      await chromium.close();
      await server.close();
    }
  }
  const seconds = (r: Row) => (r.warm.length ? `${median(r.warm).toFixed(2)} (${r.warm.map((s) => s.toFixed(2)).join(' / ')})` : '–');
  const table = rows.map((r) => `| ${r.model} | ${r.method} | ${r.gradients} | ${r.cold?.toFixed(2) ?? '–'} | ${seconds(r)} |${r.error ? ` ${r.error}` : ''}`);
  console.log(['| model | method | gradients | cold s | warm s, median (runs) |', '| --- | --- | --- | ---: | ---: |', ...table].join('\n'));
});
