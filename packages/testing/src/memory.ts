import * as tf from '@tensorflow/tfjs-core';

/**
 * Tensor-leak checks for tests. They throw a plain `Error` (which fails the test like a failed
 * `expect`), so this package needs no test runner of its own.
 */

function checkCount(before: number, what: string): void {
  const after = tf.memory().numTensors;
  if (after !== before) {
    const change = after > before ? `${after - before} left behind` : `${before - after} too many disposed`;
    throw new Error(`${what}: ${before} tensors before, ${after} after (${change})`);
  }
}

/** Runs `work` and checks it left no tensor behind (its result must be plain data); returns the result. */
export async function expectNoLeak<T>(work: () => Promise<T> | T): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await work();
  checkCount(before, 'expected no tensor leak');
  return result;
}

/** Like `expectNoLeak`, for work that must reject (or throw); returns the error. */
export async function expectRejectsWithoutLeak(work: () => Promise<unknown> | unknown): Promise<Error> {
  const before = tf.memory().numTensors;
  let error: unknown;
  try {
    await work();
  } catch (e) {
    error = e;
  }
  if (error === undefined) throw new Error('expected the call to reject, but it resolved');
  if (!(error instanceof Error)) throw new Error(`expected the call to reject with an Error, got ${String(error)}`);
  checkCount(before, `expected no tensor leak when rejecting (${error.name}: ${error.message})`);
  return error;
}
