import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { saliencyMap } from '@xai/core';
import { generateDataset } from '../src/index.js';
import { LOCALISATION_COUNT, LOCALISATION_SEED, localisation } from './localisation-helpers.js';

const run = promisify(execFile);
const SIZE = 96;

/**
 * 200 images × 2000 masks = 400 000 forward passes, about 13 minutes on one wasm core (wasm runs
 * one thread in Node), so the images are split between two processes, one per core.
 */
async function riseMapsInParallel(processes: number) {
  const dir = mkdtempSync(join(tmpdir(), 'xai-rise-localisation-'));
  const share = Math.ceil(LOCALISATION_COUNT / processes);
  const parts = Array.from({ length: processes }, (_, i) => ({
    start: i * share,
    count: Math.min(share, LOCALISATION_COUNT - i * share),
    out: join(dir, `part-${i}.f32`),
  }));
  const script = new URL('./rise-maps.mjs', import.meta.url).pathname;
  await Promise.all(
    parts.map((p) => run(process.execPath, [script, String(LOCALISATION_SEED), String(p.start), String(p.count), p.out], { maxBuffer: 1 << 24 })),
  );
  return parts.flatMap((p) => {
    const { leaked, count } = JSON.parse(readFileSync(`${p.out}.json`, 'utf8')) as { leaked: number; count: number };
    expect(leaked, `tensors left by images ${p.start}…${p.start + count - 1}`).toBe(0);
    const bytes = readFileSync(p.out);
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    return Array.from({ length: count }, (_, k) => values.slice(k * SIZE * SIZE, (k + 1) * SIZE * SIZE));
  });
}

describe('RISE on the demo model finds the object', () => {
  it('pointing game ≥ 80% on 200 fresh images with N = 2000 masks', async () => {
    const samples = generateDataset({ seed: LOCALISATION_SEED, count: LOCALISATION_COUNT });
    const data = await riseMapsInParallel(2);
    expect(data).toHaveLength(LOCALISATION_COUNT);
    const maps = data.map((values, k) =>
      saliencyMap({ data: values, height: SIZE, width: SIZE, classIndex: samples[k].label, method: 'rise', params: {} }),
    );
    const { standard } = localisation(maps, samples, 'RISE (N = 2000)');
    expect(standard.pointingAccuracy).toBeGreaterThanOrEqual(0.8);
  }, 3_600_000);
});
