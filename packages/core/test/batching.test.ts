import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './helpers.js';
import { runBatched, scoped } from '../src/batching.js';
import type { ProgressEvent } from '../src/progress.js';

describe('runBatched', () => {
  beforeAll(() => useBackend('cpu'));

  it('covers every item once, in order, in batches, and reports progress', async () => {
    const seen: [number, number][] = [];
    const events: ProgressEvent[] = [];
    await runBatched(
      10,
      ({ start, end }) => [start, end] as [number, number],
      (range) => seen.push(range),
      { batchSize: 4, stage: 'test', onProgress: (e) => events.push(e) },
    );
    expect(seen).toEqual([[0, 4], [4, 8], [8, 10]]);
    expect(events).toEqual([
      { stage: 'test', done: 4, total: 10 },
      { stage: 'test', done: 8, total: 10 },
      { stage: 'test', done: 10, total: 10 },
    ]);
  });

  it('disposes every tensor a step makes, including the one it returns after reduce', async () => {
    const before = tf.memory().numTensors;
    let sum = tf.scalar(0);
    await runBatched(
      7,
      async ({ start, end }) => {
        const x = tf.range(start, end);
        await Promise.resolve();
        return tf.sum(tf.mul(x, 2));
      },
      (part) => {
        const next = tf.add(sum, part) as tf.Scalar;
        sum.dispose();
        sum = next;
      },
      { batchSize: 3 },
    );
    expect(await sum.data()).toEqual(Float32Array.from([42]));
    sum.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops with an AbortError when the signal fires, leaking nothing', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let batches = 0;
    const run = runBatched(
      100,
      async () => {
        batches++;
        if (batches === 3) controller.abort();
        return tf.ones([8, 8]);
      },
      () => {},
      { batchSize: 10, signal: controller.signal },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(batches).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps memory bounded by the batch, not the number of items', async () => {
    let peak = 0;
    const base = tf.memory().numBytes;
    await runBatched(
      64,
      ({ start, end }) => {
        const big = tf.ones([end - start, 1000]);
        peak = Math.max(peak, tf.memory().numBytes - base);
        return tf.sum(big);
      },
      () => {},
      { batchSize: 8 },
    );
    expect(peak).toBeLessThanOrEqual(8 * 1000 * 4 + 64);
  });

  it('refuses a batch size that is not a positive whole number', async () => {
    await expect(runBatched(3, () => 0, () => {}, { batchSize: 0 })).rejects.toThrow(/batchSize must be a whole number ≥ 1, got 0/);
  });

  it('scoped() disposes what the async work does not return', async () => {
    const before = tf.memory().numTensors;
    const kept = await scoped(async () => {
      tf.ones([3]);
      await Promise.resolve();
      return tf.zeros([2]);
    });
    expect(tf.memory().numTensors).toBe(before + 1);
    kept.dispose();
  });
});
