import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Runs `work` and checks it left no tensor behind (results are plain data). */
export async function expectNoLeak<T>(work: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await work();
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

/** Like expectNoLeak, for work that must reject; returns the error. */
export async function expectRejectsWithoutLeak(work: () => Promise<unknown>): Promise<Error> {
  const before = tf.memory().numTensors;
  const error = await work().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error, 'expected the call to reject').toBeInstanceOf(Error);
  expect(tf.memory().numTensors).toBe(before);
  return error!;
}
