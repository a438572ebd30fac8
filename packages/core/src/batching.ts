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

/** What `reduce` may answer: `'stop'` ends the run after this batch (a stopping rule). */
export type BatchVerdict = void | 'stop';

/**
 * Runs `step` over `total` items in batches of `batchSize`, one after another. Each step runs in
 * its own tensor scope, like `tf.tidy` but allowing `await`: every tensor it creates is disposed
 * when it ends, except those it returns (hand them to `reduce` and dispose them there). Progress is
 * reported after each batch; the signal is checked before each batch and rejects with an
 * `AbortError`, leaking no tensors. Resolves to the number of items done, fewer than `total` when
 * `reduce` answered `'stop'`.
 */
export function runBatched<T>(
  total: number,
  step: (range: BatchRange) => Promise<T> | T,
  reduce: (result: T, range: BatchRange) => BatchVerdict | Promise<BatchVerdict>,
  options: BatchOptions = {},
): Promise<number> {
  return runPipelined(total, (range) => range, (range) => step(range), reduce, options);
}

/**
 * `runBatched` with each batch's input made apart: `prepare(range)` (drawing masks, building masked
 * inputs, on the host or with tensor ops) runs for batch i + 1 while batch i's `step` waits on the
 * engine, so an engine that works off the main thread (onnxruntime, a worker pool) is never idle
 * waiting for its next input. Tensors that `prepare` returns are kept for the step and disposed
 * after it (or when the run ends before reaching it); its other tensors are disposed at once.
 */
export async function runPipelined<P, T>(
  total: number,
  prepare: (range: BatchRange) => P,
  step: (prepared: P, range: BatchRange) => Promise<T> | T,
  reduce: (result: T, range: BatchRange) => BatchVerdict | Promise<BatchVerdict>,
  options: BatchOptions = {},
): Promise<number> {
  const batchSize = checkBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  const stage = options.stage ?? 'batches';
  const rangeAt = (start: number, index: number): BatchRange => ({ start, end: Math.min(total, start + batchSize), index });
  throwIfAborted(options.signal);
  if (total <= 0) return 0;
  let range = rangeAt(0, 0);
  let next: { value: P } | undefined = { value: preparedAndKept(prepare, range) };
  try {
    for (;;) {
      throwIfAborted(options.signal);
      const current = range;
      const input = next!.value;
      next = undefined;
      const pending = scoped(() => step(input, current)).finally(() => disposeTensors(input));
      const following = current.end < total ? rangeAt(current.end, current.index + 1) : undefined;
      if (following) {
        try {
          next = { value: preparedAndKept(prepare, following) };
        } catch (error) {
          await pending.then(disposeTensors, () => undefined);
          throw error;
        }
      }
      const result = await pending;
      let verdict: BatchVerdict;
      try {
        verdict = await reduce(result, current);
      } finally {
        disposeTensors(result);
      }
      options.onProgress?.({ stage, done: current.end, total });
      if (verdict === 'stop' || !following) {
        throwIfAborted(options.signal);
        return current.end;
      }
      range = following;
    }
  } finally {
    if (next) disposeTensors(next.value);
  }
}

/**
 * `runPipelined` with two batches on the engine at once: batch i + 1's step starts right after
 * batch i's, so an engine that queues work (a worker pool, onnxruntime's thread) finds the next
 * batch waiting when it finishes one, rather than idling while this thread finishes batch i and
 * starts the next. `reduce` still sees the batches in order, one at a time, so results do not
 * change. Two steps at once would interleave tensor scopes, so steps run without one: a step
 * disposes the tensors it makes, except those it returns (disposed after `reduce`). After a
 * `'stop'`, an error or a cancellation, the batch still running is waited for and discarded.
 */
export async function runOverlapped<P, T>(
  total: number,
  prepare: (range: BatchRange) => P,
  step: (prepared: P, range: BatchRange) => Promise<T>,
  reduce: (result: T, range: BatchRange) => BatchVerdict | Promise<BatchVerdict>,
  options: BatchOptions = {},
): Promise<number> {
  const batchSize = checkBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  const stage = options.stage ?? 'batches';
  throwIfAborted(options.signal);
  const ranges: BatchRange[] = [];
  for (let start = 0, index = 0; start < total; start += batchSize, index++) ranges.push({ start, end: Math.min(total, start + batchSize), index });
  const running: Promise<T>[] = [];
  let waiting: { value: P } | undefined;
  let reduced = 0;
  const launch = () => {
    const range = ranges[running.length];
    const input = waiting ? waiting.value : preparedAndKept(prepare, range);
    waiting = undefined;
    const pending = (async () => step(input, range))().finally(() => disposeTensors(input));
    pending.catch(() => undefined); // awaited in order below; meanwhile not an unhandled rejection
    running.push(pending);
  };
  // Launches the batches up to two ahead of the last one reduced, and makes the next one's input.
  const fill = () => {
    while (running.length < ranges.length && running.length < reduced + 2) launch();
    if (running.length < ranges.length && !waiting) waiting = { value: preparedAndKept(prepare, ranges[running.length]) };
  };
  try {
    if (ranges.length === 0) return 0;
    fill();
    for (;;) {
      const range = ranges[reduced];
      const result = await running[reduced];
      reduced++;
      let verdict: BatchVerdict;
      try {
        verdict = await reduce(result, range);
      } finally {
        disposeTensors(result);
      }
      options.onProgress?.({ stage, done: range.end, total });
      throwIfAborted(options.signal);
      if (verdict === 'stop' || reduced === ranges.length) return range.end;
      fill();
    }
  } finally {
    for (const pending of running.slice(reduced)) await pending.then(disposeTensors, () => undefined);
    if (waiting) disposeTensors(waiting.value);
  }
}

function preparedAndKept<P>(prepare: (range: BatchRange) => P, range: BatchRange): P {
  // prepare may run inside the previous step's scope: keep what it returns past that scope's end.
  // (Not tf.tidy: it walks every element of the typed arrays prepare may return.)
  tf.engine().startScope();
  try {
    const value = prepare(range);
    forEachTensor(value, (t) => tf.keep(t));
    return value;
  } finally {
    tf.engine().endScope();
  }
}

/** Runs possibly-async `work` in a tensor scope; tensors it creates and does not return are disposed. */
export async function scoped<T>(work: () => Promise<T> | T): Promise<T> {
  tf.engine().startScope();
  let result: T | undefined;
  try {
    result = await work();
    return result;
  } finally {
    // Not endScope(result): tfjs would walk every element of the typed arrays a step returns
    // (and add each value to a Set), seconds for a batch of gradients.
    tf.engine().endScope(tensorsIn(result));
  }
}

/**
 * The tensors in `value`, found as tfjs's own walk finds them (arrays and any object's enumerable
 * properties, to any depth), except that typed arrays and buffers are not stepped through.
 */
function tensorsIn(value: unknown, found: tf.Tensor[] = [], seen = new Set<object>()): tf.Tensor[] {
  if (value instanceof tf.Tensor) found.push(value);
  else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value) && !(value instanceof ArrayBuffer) && !seen.has(value)) {
    seen.add(value);
    for (const key in value) tensorsIn((value as Record<string, unknown>)[key], found, seen);
  }
  return found;
}

export function checkBatchSize(batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new XaiError(`batchSize must be a whole number ≥ 1, got ${batchSize}`);
  }
  return batchSize;
}

function disposeTensors(value: unknown): void {
  forEachTensor(value, (t) => t.dispose());
}

function forEachTensor(value: unknown, visit: (tensor: tf.Tensor) => void): void {
  if (value instanceof tf.Tensor) visit(value);
  else if (Array.isArray(value)) value.forEach((v) => forEachTensor(v, visit));
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    Object.values(value).forEach((v) => forEachTensor(v, visit));
  }
}
