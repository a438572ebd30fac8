import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../classifier.js';
import { XaiError } from '../errors.js';
import { WorkerPool, type CallState, type PoolStatus } from './pool.js';
import type { SpawnWorker } from './protocol.js';
import { recipeOf } from './recipe.js';
import { checkHostBatch } from '../host-batch.js';

/**
 * Rows per chunk: every forward pass of a pooled model runs batches of at most this many rows,
 * in-process or in a worker, so what a kernel sees does not depend on the number of workers.
 */
export const POOL_CHUNK_ROWS = 8;

export interface PoolOptions {
  /** Workers to spread `predict` over; 1 runs in-process. */
  workers: number;
  /** Starts one worker (see `nodeWorkers` in `@xai/core/node`, `webWorkers`); needed when `workers` > 1. */
  spawn?: SpawnWorker;
  /** Rows per chunk (default `POOL_CHUNK_ROWS`). */
  chunkRows?: number;
  /**
   * True when the caller asked for `workers` (rather than taking a default): a model that cannot
   * use workers then says why on the console.
   */
  explicit?: boolean;
}

/** A pooled classifier's own members, beside the model's. */
export interface PoolMembers {
  /** How the model's `predict` is spread: workers, and how busy they are. */
  readonly workerPool: PoolStatus & {
    /** Why `predict` runs in-process although more workers were asked for, if it does. */
    readonly inProcess?: string;
  };
  /**
   * Present when workers run and the model takes NHWC input: host values (see
   * `Classifier.predictValues`) sent to the workers as they are. Never the model's own.
   */
  predictValues?(values: Float32Array, rows: number): Promise<tf.Tensor2D>;
}

export type PooledClassifier<T extends Classifier = Classifier> = T & PoolMembers;

const targets = new WeakMap<object, Classifier>();

/**
 * `model` with `predict` spread over `workers` workers, each holding its own copy of the model
 * (rebuilt from the recipe its loader left, see `withRecipe`). A batch is cut into chunks of
 * `chunkRows` rows, which run on the next free workers; the logits come back in order. The
 * in-process path (one worker, a batch of one chunk before workers started, a model without a
 * recipe) runs the same chunks, so results are the same bytes for every worker count.
 *
 * Workers start on the first `predict` that has more than one chunk; `dispose` stops them. Every
 * other member (layers, gradients, `forwardFrom`, copies) is the model's own, run in-process.
 * `predict` may be called again before an earlier call finished: their chunks share the workers.
 */
export function poolClassifier<T extends Classifier>(model: T, options: PoolOptions): PooledClassifier<T> {
  const target = (targets.get(model) ?? model) as T;
  const chunkRows = options.chunkRows ?? POOL_CHUNK_ROWS;
  checkWorkers(options.workers);
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new XaiError(`chunkRows must be a whole number ≥ 1, got ${chunkRows}`);
  const recipe = recipeOf(target);
  let inProcess: string | undefined;
  if (options.workers > 1 && !recipe) {
    inProcess = 'the model was built in memory, so workers cannot rebuild it (models read by loadTfjsModelFile, loadDemoModel or loadOnnxModel can)';
  } else if (options.workers > 1 && !options.spawn) {
    inProcess = 'no way to start workers was given (spawn)';
  }
  if (inProcess && options.explicit) console.warn(`xai: ${options.workers} workers were asked for, but predict runs in-process: ${inProcess}`);
  const pool = recipe && options.spawn && options.workers > 1 && !inProcess ? new WorkerPool(recipe, options.spawn, options.workers) : undefined;

  const predict = async (batch: tf.Tensor4D): Promise<tf.Tensor2D> => {
    const rows = batch.shape[0];
    if (!pool || rows === 0 || (!pool.started && rows <= chunkRows)) return predictInChunks(target, batch, chunkRows);
    // Started before the pixels are read, so a call that overlaps this one goes to the workers too.
    pool.start();
    return predictOnWorkers(pool, batch, target.numClasses, chunkRows);
  };
  // Host values go to the workers as they are, without a tensor made and read back here.
  const predictValues = async (values: Float32Array, rows: number): Promise<tf.Tensor2D> => {
    checkHostBatch(target.input, values, rows);
    const { height, width, channels } = target.input;
    if (!pool!.started && rows <= chunkRows) {
      const batch = tf.tensor4d(values, [rows, height, width, channels]);
      try {
        return await target.predict(batch);
      } finally {
        batch.dispose();
      }
    }
    pool!.start();
    return predictValuesOnWorkers(pool!, values, [rows, height, width, channels], target.numClasses, chunkRows);
  };
  const dispose = () => {
    void pool?.dispose();
    target.dispose();
  };
  const status = () => ({ ...(pool?.status() ?? { size: 1, running: 0, busy: 0, queued: 0 }), inProcess });

  // Bound once per function, so a member replaced on the model later is seen.
  const bound = new WeakMap<object, unknown>();
  // A Proxy rather than a class: the model keeps its own type (instanceof, adapter-specific
  // members), and getters and methods run on the model itself, so its state stays in one place.
  const proxy = new Proxy(target, {
    get(object, property) {
      if (property === 'predict') return predict;
      // Every pass of a pooled model goes through the pool: the model's own predictValues never.
      if (property === 'predictValues') return pool && target.input.layout === 'NHWC' ? predictValues : undefined;
      if (property === 'dispose') return dispose;
      if (property === 'workerPool') return status();
      const value = Reflect.get(object, property, object) as unknown;
      if (typeof value !== 'function') return value;
      if (!bound.has(value)) bound.set(value, (value as (...a: unknown[]) => unknown).bind(object));
      return bound.get(value);
    },
    has(object, property) {
      return property === 'workerPool' || Reflect.has(object, property);
    },
  }) as PooledClassifier<T>;
  targets.set(proxy, target);
  return proxy;
}

/** The most workers a pool takes. */
export const MAX_WORKERS = 64;

export function checkWorkers(workers: number): number {
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new XaiError(`workers must be a whole number from 1 to ${MAX_WORKERS}, got ${workers}`);
  }
  return workers;
}

/** The model behind a pooled classifier (or the model itself). */
export function unpooled<T extends Classifier>(model: T): T {
  return (targets.get(model) ?? model) as T;
}

/** In-process: the batch in chunks of `chunkRows`, one after another, as the workers would run them. */
async function predictInChunks(model: Classifier, batch: tf.Tensor4D, chunkRows: number): Promise<tf.Tensor2D> {
  const rows = batch.shape[0];
  if (rows <= chunkRows) return model.predict(batch);
  const parts: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < rows; start += chunkRows) {
      const chunk = tf.slice(batch, [start, 0, 0, 0], [Math.min(chunkRows, rows - start), -1, -1, -1]);
      try {
        parts.push(await model.predict(chunk));
      } finally {
        chunk.dispose();
      }
    }
    return tf.concat(parts);
  } finally {
    parts.forEach((p) => p.dispose());
  }
}

async function predictOnWorkers(pool: WorkerPool, batch: tf.Tensor4D, numClasses: number, chunkRows: number): Promise<tf.Tensor2D> {
  const raw = await batch.data();
  return predictValuesOnWorkers(pool, raw instanceof Float32Array ? raw : Float32Array.from(raw), batch.shape, numClasses, chunkRows);
}

async function predictValuesOnWorkers(
  pool: WorkerPool,
  pixels: Float32Array,
  shape: readonly [number, number, number, number],
  numClasses: number,
  chunkRows: number,
): Promise<tf.Tensor2D> {
  const [rows, height, width, channels] = shape;
  const rowSize = height * width * channels;
  const logits = new Float32Array(rows * numClasses);
  const call: CallState = {};
  const chunks: Promise<void>[] = [];
  for (let start = 0; start < rows; start += chunkRows) {
    const n = Math.min(chunkRows, rows - start);
    const chunk = pool.run(() => pixels.slice(start * rowSize, (start + n) * rowSize), [n, height, width, channels], call).then(
      (out) => {
        if (out.length !== n * numClasses) throw new XaiError(`a worker gave ${out.length} logits for ${n} images; expected ${n * numClasses}`);
        logits.set(out, start * numClasses);
      },
    );
    // The first failure stops the chunks of this call that no worker has taken yet.
    chunks.push(chunk.catch((error: Error) => {
      call.failed ??= error;
      throw error;
    }));
  }
  // Every chunk settles before the call does, so a failed call leaves no worker busy with it.
  const settled = await Promise.allSettled(chunks);
  if (call.failed) throw call.failed;
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return tf.tensor2d(logits, [rows, numClasses]);
}
