import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { XaiError } from '../src/errors.js';
import { LayersClassifier } from '../src/models/layers-classifier.js';
import { poolClassifier, unpooled, POOL_CHUNK_ROWS, type PooledClassifier } from '../src/pool/pooled.js';
import type { FromWorker, SpawnWorker, ToWorker, WorkerPort } from '../src/pool/protocol.js';
import { recipeOf } from '../src/pool/recipe.js';
import { serveModel } from '../src/pool/serve.js';
import { webWorkers } from '../src/pool/web.js';
import { useBackend } from './helpers.js';
import { residualModel, seedWeights } from './models.js';
import { loadResidual, predictedRows, type Behaviour } from './pool-models.js';

/** Workers that run `serveModel` on this thread: messages are cloned (buffers transferred) and delivered later, as between threads. */
class InThreadWorkers {
  readonly ports: (WorkerPort & { crash(reason: string): void; alive: boolean })[] = [];
  /** Rows of every predict message, by worker. */
  readonly rowsByWorker: number[][] = [];
  /** The worker that dies instead of taking the next chunk it is given. */
  crashOnNextPredict?: { worker: number; reason: string };

  readonly spawn: SpawnWorker = () => {
    const index = this.ports.length;
    this.rowsByWorker.push([]);
    let toPool: (message: FromWorker) => void = () => {};
    let toWorker: (message: ToWorker) => void = () => {};
    let exit: (reason: string) => void = () => {};
    const port = {
      alive: true,
      post: (message: ToWorker, transfer: ArrayBuffer[] = []) => {
        if (message.type === 'predict') this.rowsByWorker[index].push(message.shape[0]);
        if (message.type === 'predict' && this.crashOnNextPredict?.worker === index) {
          const { reason } = this.crashOnNextPredict;
          this.crashOnNextPredict = undefined;
          setImmediate(() => port.crash(reason));
          return;
        }
        const copy = structuredClone(message, { transfer });
        setImmediate(() => port.alive && toWorker(copy));
      },
      onMessage: (handler: (message: FromWorker) => void) => {
        toPool = handler;
      },
      onExit: (handler: (reason: string) => void) => {
        exit = handler;
      },
      terminate: async () => {
        port.alive = false;
      },
      crash: (reason: string) => {
        port.alive = false;
        exit(reason);
      },
    };
    serveModel({
      post: (message, transfer = []) => {
        const copy = structuredClone(message, { transfer });
        setImmediate(() => port.alive && toPool(copy));
      },
      onMessage: (handler) => {
        toWorker = handler;
      },
    });
    this.ports.push(port);
    return port;
  };
}

const SEED = 5;
let pooledModels: PooledClassifier[] = [];

async function pooledResidual(workers: number, behaviour: Behaviour = 'ok', chunkRows?: number) {
  const threads = new InThreadWorkers();
  const model = poolClassifier(await loadResidual(SEED, behaviour), { workers, spawn: threads.spawn, chunkRows });
  pooledModels.push(model);
  return { model, threads };
}

const images = (n: number, seed = 1) => tf.randomUniform([n, 8, 8, 3], -1, 1, 'float32', seed) as tf.Tensor4D;

async function logitsOf(model: PooledClassifier, batch: tf.Tensor4D): Promise<Float32Array> {
  const out = await model.predict(batch);
  try {
    expect(out.shape).toEqual([batch.shape[0], 3]);
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

/**
 * A predict that must reject: its error. With `noLeak`, checks it left no tensor behind (only
 * where the in-thread workers had loaded their models before: their weights live on this thread).
 */
async function rejection(work: () => Promise<unknown>, noLeak = false): Promise<Error> {
  const before = tf.memory().numTensors;
  const error = await work().then(() => undefined, (e: Error) => e);
  expect(error, 'expected a rejection').toBeInstanceOf(Error);
  if (noLeak) expect(tf.memory().numTensors).toBe(before);
  return error!;
}

/** The residual model loaded here, its workers' copies loading with `behaviour`. */
async function withWorkerBehaviour(behaviour: Behaviour, chunkRows?: number) {
  const threads = new InThreadWorkers();
  const inProcess = await loadResidual(SEED);
  recipeOf(inProcess)!.args = [SEED, behaviour];
  const model = poolClassifier(inProcess, { workers: 2, spawn: threads.spawn, chunkRows });
  pooledModels.push(model);
  return { model, threads };
}

describe('poolClassifier', () => {
  beforeAll(() => useBackend('wasm'));
  afterEach(() => {
    pooledModels.forEach((m) => m.dispose());
    pooledModels = [];
  });

  it('takes host values to its workers (predictValues): the bytes of predict, the values checked first', async () => {
    const { model, threads } = await pooledResidual(2);
    for (const n of [3, 17]) {
      const batch = images(n, 40 + n);
      const values = Float32Array.from(await batch.data());
      // predict first: the in-thread workers' copies of the model load on this thread.
      const plain = await logitsOf(model, batch);
      const before = tf.memory().numTensors;
      const viaValues = await model.predictValues!(values, n);
      expect(Array.from(await viaValues.data())).toEqual(Array.from(plain));
      viaValues.dispose();
      expect(tf.memory().numTensors).toBe(before);
      batch.dispose();
    }
    // 3 rows before the workers started ran here; 17 went out in chunks of 8, 8 and 1 (twice: predict, then predictValues).
    expect(threads.rowsByWorker.flat().sort((a, b) => a - b)).toEqual([1, 1, 8, 8, 8, 8]);
    await expect(model.predictValues!(new Float32Array(5), 1)).rejects.toThrow('predictValues takes 1 × 192 values for [1, 8, 8, 3] (NHWC), got 5');
  });

  it('gives the bytes of the model run in chunks, in order, for 1, 2 and 3 workers and every batch size', async () => {
    const plain = await loadResidual(SEED);
    const outputs: Float32Array[][] = [];
    for (const workers of [1, 2, 3]) {
      const { model } = await pooledResidual(workers);
      const row: Float32Array[] = [];
      for (const n of [1, 7, 8, 9, 17, 33]) {
        const batch = images(n, n);
        row.push(await logitsOf(model, batch));
        // Chunk by chunk on the plain model: the same rows in the same order.
        if (workers === 1) {
          const parts: number[] = [];
          for (let s = 0; s < n; s += POOL_CHUNK_ROWS) {
            const chunk = tf.slice(batch, [s, 0, 0, 0], [Math.min(POOL_CHUNK_ROWS, n - s), -1, -1, -1]);
            const out = await plain.predict(chunk);
            parts.push(...(await out.data()));
            tf.dispose([chunk, out]);
          }
          expect(Array.from(row[row.length - 1])).toEqual(parts);
        }
        batch.dispose();
      }
      outputs.push(row);
    }
    plain.dispose();
    expect(outputs[1]).toEqual(outputs[0]);
    expect(outputs[2]).toEqual(outputs[0]);
  });

  it('runs no batch larger than a chunk, in-process or in a worker', async () => {
    predictedRows().length = 0;
    for (const workers of [1, 2]) {
      const { model } = await pooledResidual(workers, 'ok', 3);
      const batch = images(10);
      await logitsOf(model, batch);
      batch.dispose();
    }
    // 10 rows in chunks of 3, once in-process and once over the workers (which loaded, then ran them).
    expect([...predictedRows()].sort()).toEqual([1, 1, 3, 3, 3, 3, 3, 3]);
  });

  it('starts workers on the first predict with more than one chunk, spreads chunks over them, and leaks no tensors', async () => {
    const { model, threads } = await pooledResidual(2);
    const one = images(POOL_CHUNK_ROWS);
    await logitsOf(model, one);
    expect(threads.ports).toHaveLength(0);
    expect(model.workerPool).toMatchObject({ size: 2, running: 0 });
    const many = images(4 * POOL_CHUNK_ROWS);
    await logitsOf(model, many); // loads the workers
    expect(threads.ports).toHaveLength(2);
    await expect.poll(() => threads.rowsByWorker.map((r) => r.length)).toEqual([expect.any(Number), expect.any(Number)]);
    const before = tf.memory().numTensors;
    const again = await logitsOf(model, many);
    expect(tf.memory().numTensors).toBe(before);
    expect(again).toHaveLength(4 * POOL_CHUNK_ROWS * 3);
    // Both workers took chunks of the batches.
    expect(threads.rowsByWorker.every((r) => r.length > 0)).toBe(true);
    // Once started, a batch of one chunk goes to a worker too (the main thread stays free).
    const sent = threads.rowsByWorker.flat().length;
    await logitsOf(model, one);
    expect(threads.rowsByWorker.flat().length).toBe(sent + 1);
    tf.dispose([one, many]);
  });

  it('answers calls that overlap, each with its own rows, sharing the workers', async () => {
    const { model, threads } = await pooledResidual(3);
    const reference = await loadResidual(SEED);
    const batches = [images(20, 1), images(5, 2), images(13, 3)];
    const expected = await Promise.all(batches.map(async (b) => {
      const out = await poolClassifier(reference, { workers: 1 }).predict(b);
      const data = Array.from(await out.data());
      out.dispose();
      return data;
    }));
    const got = await Promise.all(batches.map((b) => logitsOf(model, b)));
    expect(got.map((g) => Array.from(g))).toEqual(expected);
    expect(threads.rowsByWorker.flat().reduce((a, b) => a + b, 0)).toBe(38);
    expect(model.workerPool).toMatchObject({ busy: 0, queued: 0 });
    tf.dispose(batches);
    reference.dispose();
  });

  it('stops its workers on dispose; a later predict says the model was disposed', async () => {
    const { model, threads } = await pooledResidual(2);
    const batch = images(20);
    await logitsOf(model, batch);
    model.dispose();
    pooledModels = pooledModels.filter((m) => m !== model);
    await expect.poll(() => threads.ports.map((p) => p.alive)).toEqual([false, false]);
    expect(model.workerPool).toMatchObject({ running: 0 });
    batch.dispose();
  });

  it('a worker that cannot load the model fails the call and every later one, with its message', async () => {
    const { model } = await withWorkerBehaviour('fail-load');
    const batch = images(20);
    const error = await rejection(() => model.predict(batch));
    expect(error).toBeInstanceOf(XaiError);
    expect(error.message).toMatch(/^a worker could not load the model \(loadResidual from file:.*pool-models\.ts\): the weights file is gone$/);
    expect((await rejection(() => model.predict(batch))).message).toBe(error.message);
    batch.dispose();
  });

  it('a worker whose predict throws fails that call with its message; the other chunks of the call are not started', async () => {
    const { model, threads } = await withWorkerBehaviour('fail-predict', 2);
    const batch = images(20);
    const error = await rejection(() => model.predict(batch));
    expect(error).toBeInstanceOf(XaiError);
    expect(error.message).toBe('a worker failed to predict: out of memory in the kernel');
    // Two workers, each failed the first chunk it took; the other 8 chunks were dropped.
    expect(threads.rowsByWorker.flat()).toEqual([2, 2]);
    expect(model.workerPool).toMatchObject({ busy: 0, queued: 0 });
    batch.dispose();
  });

  it('a worker that dies mid-call fails that call; the next call runs on a replacement', async () => {
    const { model, threads } = await pooledResidual(2);
    const batch = images(20);
    const expected = await logitsOf(model, batch);
    threads.crashOnNextPredict = { worker: 0, reason: 'it exited with code 134' };
    const error = await rejection(() => model.predict(batch), true);
    expect(error.message).toBe('a worker stopped while predicting: it exited with code 134');
    expect(Array.from(await logitsOf(model, batch))).toEqual(Array.from(expected));
    expect(threads.ports).toHaveLength(3);
    batch.dispose();
  });

  it('runs a model built in memory in-process, saying why when more workers were asked for', async () => {
    const layers = residualModel();
    await seedWeights(layers, SEED);
    const inMemory = new LayersClassifier(layers);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const threads = new InThreadWorkers();
    const model = poolClassifier(inMemory, { workers: 4, spawn: threads.spawn, explicit: true });
    pooledModels.push(model);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^xai: 4 workers were asked for, but predict runs in-process: the model was built in memory/));
    warn.mockRestore();
    expect(model.workerPool.inProcess).toMatch(/built in memory/);
    const batch = images(20);
    await logitsOf(model, batch);
    expect(threads.ports).toHaveLength(0);
    batch.dispose();
  });

  it('is the model in everything but predict: its class, layers and gradients', async () => {
    const { model } = await pooledResidual(2);
    const target = unpooled(model);
    expect(model).toBeInstanceOf(LayersClassifier);
    expect(target).not.toBe(model);
    expect(model.layers!()).toEqual(target.layers!());
    expect(model.engine).toBe(target.engine);
    const handle = model.resolveLayer!('block_out');
    const image = images(1);
    const viaPool = await model.activationsAndGradient!(image, handle, 1);
    const direct = await target.activationsAndGradient!(image, handle, 1);
    expect(Array.from(viaPool.gradient.dataSync())).toEqual(Array.from(direct.gradient.dataSync()));
    tf.dispose([image, viaPool.activations, viaPool.gradient, viaPool.logits, direct.activations, direct.gradient, direct.logits]);
    // Pooling a pooled model pools the model itself, once.
    expect(unpooled(poolClassifier(model, { workers: 1 }))).toBe(target);
  });

  it('refuses a worker count that is not a whole number from 1 to 64', async () => {
    const model = await loadResidual(SEED);
    for (const workers of [0, 65, 1.5, Number.NaN]) {
      expect(() => poolClassifier(model, { workers })).toThrow(new XaiError(`workers must be a whole number from 1 to 64, got ${workers}`));
    }
    model.dispose();
  });
});

/** A stand-in for the browser's `Worker`: `serveModel` on this thread, messages as events. */
class FakeWebWorker extends EventTarget {
  static made: FakeWebWorker[] = [];
  /** When set, the next worker made fails to start with this message. */
  static failNext?: string;
  alive = true;
  private deliver: (message: ToWorker) => void = () => {};

  constructor(
    readonly script: string | URL,
    readonly options: { type?: string },
  ) {
    super();
    FakeWebWorker.made.push(this);
    const failure = FakeWebWorker.failNext;
    FakeWebWorker.failNext = undefined;
    if (failure) {
      setImmediate(() => this.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message: failure })));
      return;
    }
    serveModel({
      post: (message, transfer = []) => {
        const data = structuredClone(message, { transfer });
        setImmediate(() => this.alive && this.dispatchEvent(new MessageEvent('message', { data })));
      },
      onMessage: (handler) => {
        this.deliver = handler;
      },
    });
  }

  postMessage(message: ToWorker, transfer: ArrayBuffer[]): void {
    const copy = structuredClone(message, { transfer });
    setImmediate(() => this.alive && this.deliver(copy));
  }

  terminate(): void {
    this.alive = false;
  }
}

describe('webWorkers: the pool over Web Workers', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    (globalThis as { Worker?: unknown }).Worker = FakeWebWorker;
  });
  afterAll(() => {
    delete (globalThis as { Worker?: unknown }).Worker;
  });

  it('starts module workers from the script and gives the in-process bytes; dispose terminates them', async () => {
    const model = poolClassifier(await loadResidual(SEED), { workers: 2, spawn: webWorkers('/assets/pool-worker.js') });
    const plain = poolClassifier(await loadResidual(SEED), { workers: 1 });
    const batch = images(21);
    expect(Array.from(await logitsOf(model, batch))).toEqual(Array.from(await logitsOf(plain, batch)));
    const made = FakeWebWorker.made.slice(-2);
    expect(made.map((w) => [w.script, w.options.type])).toEqual([['/assets/pool-worker.js', 'module'], ['/assets/pool-worker.js', 'module']]);
    model.dispose();
    plain.dispose();
    expect(made.map((w) => w.alive)).toEqual([false, false]);
    batch.dispose();
  });

  it("a worker that fails to start fails the call with the error event's message", async () => {
    FakeWebWorker.failNext = 'SyntaxError: Unexpected token in pool-worker.js';
    const model = poolClassifier(await loadResidual(SEED), { workers: 2, spawn: webWorkers('/assets/pool-worker.js') });
    const batch = images(21);
    const error = await rejection(() => model.predict(batch));
    expect(error.message).toBe('a worker stopped while loading the model (loadResidual from ' + recipeOf(unpooled(model))!.module + '): SyntaxError: Unexpected token in pool-worker.js');
    model.dispose();
    batch.dispose();
  });
});
