// Input gradients in chunks that fit the memory (issue 25): a gradient keeps every activation of the
// forward pass, so a batch that a forward pass takes may not fit as a gradient (a ResNet-18 at
// 224×224 ran the 4 GiB wasm heap out at 32 images). Chunks are sized from a measured row, and a
// chunk that runs out of memory is run again in halves; the gradients do not depend on the chunks.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { OutOfMemoryError, WASM_HEAP_MAX, gradientMemoryBudget, setGradientMemoryBudget, watchMemory } from '../src/backend/memory.js';
import { XaiError } from '../src/errors.js';
import { inputGradientsOf, type InputGradientModel } from '../src/models/input-gradients.js';
import { Random } from '../src/random.js';
import { maxRelativeDiff, useBackend } from './helpers.js';

const SIZE = 12;
const CLASSES = 5;

function seeded(shape: number[], seed: number, scale = 0.5): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal() * scale);
}

/** A small conv net (conv, ReLU, max pool, conv, global mean, dense) that records the batch of every forward pass. */
function smallNet(): InputGradientModel & { batches: number[]; dispose(): void } {
  const w1 = tf.tensor4d(seeded([3, 3, 3, 8], 1), [3, 3, 3, 8]);
  const w2 = tf.tensor4d(seeded([3, 3, 8, 8], 2), [3, 3, 8, 8]);
  const dense = tf.tensor2d(seeded([8, CLASSES], 3), [8, CLASSES]);
  const batches: number[] = [];
  return {
    input: { height: SIZE, width: SIZE, channels: 3, layout: 'NHWC' },
    numClasses: CLASSES,
    batches,
    logits(x) {
      batches.push(x.shape[0]);
      const a = tf.maxPool(tf.relu(tf.conv2d(x, w1, 1, 'same')), 3, 2, 'same');
      const b = tf.relu(tf.conv2d(a, w2, 1, 'same'));
      return tf.matMul(tf.mean(b, [1, 2]) as tf.Tensor2D, dense);
    },
    dispose: () => tf.dispose([w1, w2, dense]),
  };
}

const classesOf = (n: number) => Array.from({ length: n }, (_, i) => (i * 3) % CLASSES);

afterEach(() => {
  setGradientMemoryBudget(undefined);
});

describe.each(['wasm', 'cpu'] as const)('input gradients within a memory budget on %s', (backend) => {
  it('a budget below one row runs every row alone; the gradients equal the unsplit run’s, and nothing leaks', async () => {
    await useBackend(backend);
    const model = smallNet();
    const x = tf.tensor4d(seeded([7, SIZE, SIZE, 3], 4, 1), [7, SIZE, SIZE, 3]);
    setGradientMemoryBudget(Number.MAX_SAFE_INTEGER);
    const whole = await inputGradientsOf(model, x, classesOf(7));
    // Measured first row, then all the others in one chunk.
    expect(model.batches).toEqual([1, 6]);
    model.batches.length = 0;
    const before = tf.memory().numTensors;
    setGradientMemoryBudget(1);
    const split = await inputGradientsOf(model, x, classesOf(7));
    expect(model.batches).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(split.shape).toEqual([7, SIZE, SIZE, 3]);
    expect(maxRelativeDiff(await split.data(), await whole.data())).toBeLessThan(1e-6);
    split.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([whole, x]);
    model.dispose();
  });

  it('a budget of a few rows gives chunks of that many rows, sized from the first row’s peak of memory', async () => {
    await useBackend(backend);
    const model = smallNet();
    const x = tf.tensor4d(seeded([1, SIZE, SIZE, 3], 5, 1), [1, SIZE, SIZE, 3]);
    const { value, peakBytes } = watchMemory(() => tf.tidy(() => tf.grad((t) => tf.sum(model.logits(t as tf.Tensor4D)))(x)));
    value.dispose();
    // At least the activations the backward pass keeps: the first conv's output, 12×12×8 float32.
    expect(peakBytes).toBeGreaterThan(SIZE * SIZE * 8 * 4);
    const batch = tf.tidy(() => tf.tile(x, [10, 1, 1, 1]) as tf.Tensor4D);
    model.batches.length = 0;
    const before = tf.memory().numTensors;
    setGradientMemoryBudget(Math.floor(3.5 * peakBytes));
    const g = await inputGradientsOf(model, batch, 2);
    expect(model.batches).toEqual([1, 3, 3, 3]);
    // Every row is the same image and class: every row of the gradient is the first one.
    const values = await g.data();
    const row = SIZE * SIZE * 3;
    for (let b = 1; b < 10; b++) expect(maxRelativeDiff(values.subarray(b * row, (b + 1) * row), values.subarray(0, row))).toBeLessThan(1e-6);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, batch]);
    model.dispose();
  });

  it('refuses a budget that is not a positive number of bytes', () => {
    expect(() => setGradientMemoryBudget(0)).toThrow(new XaiError('a gradient memory budget is a number of bytes above 0 (or undefined for the default), got 0'));
    expect(() => setGradientMemoryBudget(Number.NaN)).toThrow(XaiError);
    expect(setGradientMemoryBudget(1000)).toBeUndefined();
    expect(setGradientMemoryBudget(undefined)).toBe(1000);
  });
});

describe('input gradients when the wasm heap runs out', () => {
  type Module = { _malloc(bytes: number): number };
  const wasmModule = () => (tf.backend() as unknown as { wasm: Module }).wasm;

  /**
   * Makes the wasm heap look `limit` bytes large to the allocator: past it `_malloc` answers 0, as
   * the real one does at 4 GiB. Returns a function that puts the real allocator back.
   */
  function smallHeap(limit: number): () => void {
    const wasm = wasmModule();
    const real = wasm._malloc;
    wasm._malloc = (bytes: number) => (tf.memory().numBytes + bytes > limit ? 0 : real.call(wasm, bytes));
    return () => {
      wasm._malloc = real;
    };
  }

  it('has a default budget on wasm (half the heap, less what is allocated) and none on cpu', async () => {
    await useBackend('cpu');
    expect(gradientMemoryBudget()).toBeUndefined();
    await useBackend('wasm');
    const budget = gradientMemoryBudget()!;
    expect(budget).toBeLessThanOrEqual(WASM_HEAP_MAX / 2);
    expect(budget).toBeGreaterThan(WASM_HEAP_MAX / 2 - tf.memory().numBytes - 1);
  });

  it('runs a chunk that does not fit again in halves: same gradients, no leak, the allocator put back', async () => {
    await useBackend('wasm');
    const model = smallNet();
    const x = tf.tensor4d(seeded([8, SIZE, SIZE, 3], 6, 1), [8, SIZE, SIZE, 3]);
    const whole = await inputGradientsOf(model, x, classesOf(8));
    const { peakBytes } = watchMemory(() => {
      const one = tf.slice(x, [0, 0, 0, 0], [1, SIZE, SIZE, 3]);
      const g = tf.grad((t) => tf.sum(model.logits(t as tf.Tensor4D)))(one);
      tf.dispose([one, g]);
    });
    model.batches.length = 0;
    const real = wasmModule()._malloc;
    const before = tf.memory().numTensors;
    // Room for about 2.5 rows: the measured row says 7 fit the (default, 2 GiB) budget; 7 then 4 do not.
    const restore = smallHeap(tf.memory().numBytes + Math.floor(2.5 * peakBytes));
    let split: tf.Tensor4D;
    try {
      split = await inputGradientsOf(model, x, classesOf(8));
    } finally {
      restore();
    }
    console.log(`chunks run when the heap holds about 2.5 rows: [${model.batches.join(', ')}]`);
    expect(model.batches[0]).toBe(1);
    expect(model.batches).toContain(7);
    expect(model.batches.filter((n) => n <= 2).length).toBeGreaterThan(1);
    expect(model.batches.reduce((a, b) => a + b, 0)).toBeGreaterThan(8); // rows that ran out were run again
    expect(wasmModule()._malloc).toBe(real);
    expect(maxRelativeDiff(await split.data(), await whole.data())).toBeLessThan(1e-6);
    split.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([whole, x]);
    model.dispose();
  });

  it('says so when not even one image fits, naming the backend, and leaks nothing', async () => {
    await useBackend('wasm');
    const model = smallNet();
    const x = tf.tensor4d(seeded([3, SIZE, SIZE, 3], 7, 1), [3, SIZE, SIZE, 3]);
    const before = tf.memory().numTensors;
    const restore = smallHeap(tf.memory().numBytes + 2000);
    let error: unknown;
    try {
      await inputGradientsOf(model, x, 1, { rule: 'guided' });
    } catch (e) {
      error = e;
    } finally {
      restore();
    }
    expect(error).toBeInstanceOf(XaiError);
    expect((error as Error).message).toMatch(
      /^the input gradient of one 12×12×3 image does not fit in the memory of the wasm backend \(the wasm backend could not allocate \d+ bytes \([\d.]+ MiB\): its memory is full\); use a backend with more memory \(cpu, tfjs-node\) or a smaller input size$/,
    );
    expect((error as Error).cause).toBeInstanceOf(OutOfMemoryError);
    expect(tf.memory().numTensors).toBe(before);
    // The Relu gradient and the kernels are back: a plain gradient after it is the usual one.
    const again = await inputGradientsOf(model, x, 1);
    expect(again.shape).toEqual([3, SIZE, SIZE, 3]);
    tf.dispose([again, x]);
    model.dispose();
  });

  it('with a fixed batch, which cannot be split, says that the model’s batch does not fit', async () => {
    await useBackend('wasm');
    const model = { ...smallNet(), fixedBatch: 2 };
    const x = tf.tensor4d(seeded([3, SIZE, SIZE, 3], 8, 1), [3, SIZE, SIZE, 3]);
    const before = tf.memory().numTensors;
    const restore = smallHeap(tf.memory().numBytes + 2000);
    let error: unknown;
    try {
      await inputGradientsOf(model, x, 1);
    } catch (e) {
      error = e;
    } finally {
      restore();
    }
    expect((error as Error).message).toMatch(
      /^the input gradient of a batch of 2 12×12×3 images \(the model's fixed batch size\) does not fit in the memory of the wasm backend \(.*\); use a backend with more memory \(cpu, tfjs-node\), a model exported with a dynamic batch or a smaller input size$/,
    );
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
