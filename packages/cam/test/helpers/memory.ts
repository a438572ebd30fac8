import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Runs `work` and checks that the number of live tensors is the same afterwards. */
export async function expectNoLeak<T>(work: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await work();
  expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
  return result;
}

/** Runs `work`, which must reject, checks it left no tensor behind, and returns the error. */
export async function expectRejectionWithoutLeak(work: () => Promise<unknown>): Promise<Error> {
  const before = tf.memory().numTensors;
  let error: unknown;
  try {
    await work();
  } catch (e) {
    error = e;
  }
  expect(error, 'expected a rejection').toBeInstanceOf(Error);
  expect(tf.memory().numTensors, 'tensors left behind').toBe(before);
  return error as Error;
}
