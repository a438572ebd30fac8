import * as tf from '@tensorflow/tfjs-core';
import { XaiError, throwIfAborted } from './errors.js';
import type { LongWorkOptions } from './progress.js';

export interface BatchRange {
  /** First item of the batch. */
  start: number;
  /** One past the last item. */
  end: number;
  /** Batch number, from 0. */
  index: number;
}

export interface BatchOptions extends LongWorkOptions {
  /** Stage name reported in progress events. */
  stage?: string;
}

export const DEFAULT_BATCH_SIZE = 32;

/**
 * Runs `step` over `total` items in batches of `batchSize`, one after another. Each step runs in
 * its own tensor scope, like `tf.tidy` but allowing `await`: every tensor it creates is disposed
 * when it ends, except those it returns (hand them to `reduce` and dispose them there). Progress is
 * reported after each batch; the signal is checked before each batch and rejects with an
 * `AbortError`, leaking no tensors.
 */
export async function runBatched<T>(
  total: number,
  step: (range: BatchRange) => Promise<T> | T,
  reduce: (result: T, range: BatchRange) => void,
  options: BatchOptions = {},
): Promise<void> {
  const batchSize = checkBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  const stage = options.stage ?? 'batches';
  for (let start = 0, index = 0; start < total; start += batchSize, index++) {
    throwIfAborted(options.signal);
    const range = { start, end: Math.min(total, start + batchSize), index };
    const result = await scoped(() => step(range));
    try {
      reduce(result, range);
    } finally {
      disposeTensors(result);
    }
    options.onProgress?.({ stage, done: range.end, total });
  }
  throwIfAborted(options.signal);
}

/** Runs possibly-async `work` in a tensor scope; tensors it creates and does not return are disposed. */
export async function scoped<T>(work: () => Promise<T> | T): Promise<T> {
  tf.engine().startScope();
  let result: T | undefined;
  try {
    result = await work();
    return result;
  } finally {
    tf.engine().endScope(result as tf.TensorContainer);
  }
}

export function checkBatchSize(batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new XaiError(`batchSize must be a whole number ≥ 1, got ${batchSize}`);
  }
  return batchSize;
}

function disposeTensors(value: unknown): void {
  if (value instanceof tf.Tensor) value.dispose();
  else if (Array.isArray(value)) value.forEach(disposeTensors);
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    Object.values(value).forEach(disposeTensors);
  }
}
