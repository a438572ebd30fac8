import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './helpers.js';
import { runBatched, runOverlapped, runPipelined, scoped } from '../src/batching.js';
import { distinctRows } from '../src/distinct.js';
import type { ProgressEvent } from '../src/progress.js';

describe('runBatched', () => {
  beforeAll(() => useBackend('cpu'));

  it('covers every item once, in order, in batches, and reports progress', async () => {
    const seen: [number, number][] = [];
    const events: ProgressEvent[] = [];
    await runBatched(
      10,
      ({ start, end }) => [start, end] as [number, number],
      (range) => {
        seen.push(range);
      },
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

  it('scoped() keeps the tensors anywhere in what it returns, and does not step through typed arrays', async () => {
    const before = tf.memory().numTensors;
    // Two million distinct values: tfjs's own walk (endScope(result)) takes seconds over them.
    const values = Float32Array.from({ length: 2_000_000 }, (_, i) => i);
    const start = performance.now();
    const result = await scoped(async () => {
      tf.ones([3]);
      await Promise.resolve();
      return { values, nested: [{ a: tf.zeros([2]) }], map: new Map([['b', 1]]), b: tf.scalar(1) };
    });
    expect(performance.now() - start).toBeLessThan(1000);
    expect(result.values).toBe(values);
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(result.nested[0].a.isDisposed || result.b.isDisposed).toBe(false);
    tf.dispose([result.nested[0].a, result.b]);
  });
});

describe('runPipelined', () => {
  beforeAll(() => useBackend('cpu'));

  it("prepares batch i + 1 while batch i's step waits, and reduces in order", async () => {
    const log: string[] = [];
    const done = await runPipelined(
      7,
      ({ index }) => {
        log.push(`prepare ${index}`);
        return index * 10;
      },
      async (prepared, { index }) => {
        log.push(`step ${index} start`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(`step ${index} end`);
        return prepared;
      },
      (value, { index }) => {
        log.push(`reduce ${index}=${value}`);
      },
      { batchSize: 3 },
    );
    expect(done).toBe(7);
    expect(log).toEqual([
      'prepare 0', 'step 0 start', 'prepare 1', 'step 0 end', 'reduce 0=0',
      'step 1 start', 'prepare 2', 'step 1 end', 'reduce 1=10',
      'step 2 start', 'step 2 end', 'reduce 2=20',
    ]);
  });

  it("ends after the batch whose reduce answers 'stop', and says how many items were done", async () => {
    const events: ProgressEvent[] = [];
    const reduced: number[] = [];
    const done = await runPipelined(
      100,
      (range) => range.end,
      (end) => end,
      (end) => {
        reduced.push(end);
        return end >= 25 ? 'stop' : undefined;
      },
      { batchSize: 10, onProgress: (e) => events.push(e) },
    );
    expect(done).toBe(30);
    expect(reduced).toEqual([10, 20, 30]);
    expect(events.at(-1)).toEqual({ stage: 'batches', done: 30, total: 100 });
    expect(await runBatched(5, () => 1, () => {}, { batchSize: 2 })).toBe(5);
  });

  it('rejects with the error of a failing prepare once the step in flight has ended, leaking nothing', async () => {
    const before = tf.memory().numTensors;
    let stepEnded = false;
    const run = runPipelined(
      20,
      ({ index }) => {
        if (index === 1) throw new Error('no masks for batch 1');
        return index;
      },
      async () => {
        const kept = tf.ones([4, 4]);
        await new Promise((resolve) => setTimeout(resolve, 5));
        stepEnded = true;
        return kept;
      },
      () => {},
      { batchSize: 10 },
    );
    await expect(run).rejects.toThrow('no masks for batch 1');
    expect(stepEnded).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('runPipelined with tensors from prepare', () => {
  beforeAll(() => useBackend('cpu'));

  it('keeps what prepare returns for its step, disposes the rest, and disposes a prepared batch never run', async () => {
    const before = tf.memory().numTensors;
    const sums: number[] = [];
    const done = await runPipelined(
      50,
      ({ start, end }) => {
        const scratch = tf.range(start, end);
        return { input: tf.mul(scratch, 2), note: 'made' };
      },
      async ({ input }) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return (await tf.sum(input).data())[0];
      },
      (sum) => {
        sums.push(sum);
        return sums.length === 2 ? 'stop' : undefined;
      },
      { batchSize: 10 },
    );
    expect(done).toBe(20);
    expect(sums).toEqual([90, 290]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks nothing when a step fails with the next batch already prepared', async () => {
    const before = tf.memory().numTensors;
    const run = runPipelined(
      30,
      ({ start }) => tf.fill([2, 2], start),
      async (input, { index }) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        if (index === 1) throw new Error('engine failed');
        return tf.clone(input);
      },
      () => {},
      { batchSize: 10 },
    );
    await expect(run).rejects.toThrow('engine failed');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('runOverlapped', () => {
  beforeAll(() => useBackend('cpu'));

  /** Steps that take `ms` each and log; `fail` makes one reject. */
  function logged(log: string[], ms = 5, fail?: number) {
    return {
      prepare: ({ index }: { index: number }) => {
        log.push(`prepare ${index}`);
        return tf.scalar(index);
      },
      step: async (prepared: tf.Scalar, { index }: { index: number }) => {
        log.push(`step ${index} start`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        if (index === fail) throw new Error(`step ${index} failed`);
        log.push(`step ${index} end`);
        return { value: prepared.dataSync()[0] * 10, held: tf.scalar(index) };
      },
    };
  }

  it('keeps two steps running, makes the next input meanwhile, and reduces in order, one at a time', async () => {
    const log: string[] = [];
    const { prepare, step } = logged(log);
    const before = tf.memory().numTensors;
    const events: ProgressEvent[] = [];
    const done = await runOverlapped(10, prepare, step, ({ value }, { index }) => {
      log.push(`reduce ${index}=${value}`);
    }, { batchSize: 3, onProgress: (e) => events.push(e) });
    expect(done).toBe(10);
    expect(log).toEqual([
      'prepare 0', 'step 0 start', 'prepare 1', 'step 1 start', 'prepare 2',
      'step 0 end', 'reduce 0=0', 'step 2 start', 'prepare 3',
      'step 1 end', 'reduce 1=10', 'step 3 start',
      'step 2 end', 'reduce 2=20',
      'step 3 end', 'reduce 3=30',
    ]);
    expect(events.map((e) => e.done)).toEqual([3, 6, 9, 10]);
    // The inputs prepare made and the tensors the steps returned are all disposed.
    expect(tf.memory().numTensors).toBe(before);
  });

  it("after 'stop', waits for the step still running and discards it", async () => {
    const log: string[] = [];
    const { prepare, step } = logged(log);
    const before = tf.memory().numTensors;
    const done = await runOverlapped(20, prepare, step, (_, { index }) => (index === 1 ? 'stop' : undefined), { batchSize: 4 });
    expect(done).toBe(8);
    expect(log.filter((l) => l.startsWith('step') && l.endsWith('end'))).toEqual(['step 0 end', 'step 1 end', 'step 2 end']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a failing step rejects the run once the other running step is done, leaking nothing', async () => {
    const log: string[] = [];
    const { prepare, step } = logged(log, 5, 1);
    const before = tf.memory().numTensors;
    await expect(runOverlapped(20, prepare, step, () => undefined, { batchSize: 4 })).rejects.toThrow('step 1 failed');
    expect(log).toContain('step 2 end');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops with an AbortError after the batch during which the signal fired; nothing later starts', async () => {
    const log: string[] = [];
    const { prepare, step } = logged(log);
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    const run = runOverlapped(20, prepare, step, (_, { index }) => {
      if (index === 1) controller.abort();
    }, { batchSize: 4, signal: controller.signal });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(log.filter((l) => l.startsWith('step') && l.endsWith('start'))).toEqual(['step 0 start', 'step 1 start', 'step 2 start']);
    expect(tf.memory().numTensors).toBe(before);
    await expect(runOverlapped(5, prepare, step, () => undefined, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('does nothing for no items', async () => {
    expect(await runOverlapped(0, () => 0, async () => 0, () => undefined)).toBe(0);
  });
});

describe('distinctRows', () => {
  it('groups byte-identical rows under their first row, counting each group', () => {
    const rows = Float32Array.from([1, 2, 0, 0, 1, 2, 0, -0, 0, 0, 3, 4]);
    const { representatives, groupOf, sizes } = distinctRows(rows, 2);
    expect(representatives).toEqual([0, 1, 3, 5]);
    expect(Array.from(groupOf)).toEqual([0, 1, 0, 2, 1, 3]);
    expect(Array.from(sizes)).toEqual([2, 2, 1, 1]);
  });

  it('keeps rows whose hashes collide apart', () => {
    // FNV-1a over two words: (a1, 0) and (a2, b2) hash alike when b2 = (B ^ a1)·P ^ (B ^ a2)·P.
    const [basis, prime] = [0x811c9dc5, 0x01000193];
    const [a1, a2] = [7, 1234567];
    const b2 = (Math.imul(basis ^ a1, prime) ^ Math.imul(basis ^ a2, prime)) >>> 0;
    const words = Uint32Array.from([a1, 0, a2, b2, a1, 0, a2, b2]);
    const { representatives, groupOf, sizes } = distinctRows(new Float32Array(words.buffer), 2);
    expect(representatives).toEqual([0, 1]);
    expect(Array.from(groupOf)).toEqual([0, 1, 0, 1]);
    expect(Array.from(sizes)).toEqual([2, 2]);
  });

  it('keeps every row when all differ, and takes a view into a larger buffer', () => {
    const buffer = Float32Array.from([9, 1, 2, 3, 4, 5, 6]);
    const { representatives } = distinctRows(buffer.subarray(1), 3);
    expect(representatives).toEqual([0, 1]);
  });
});
