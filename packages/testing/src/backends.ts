import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { selectBackend } from '@xai/core';

/** The backends every numeric test runs on. */
export const TEST_BACKENDS = ['wasm', 'cpu'] as const;

/** Activates a backend for a test (with the gradient kernels it lacks). */
export async function useBackend(name: (typeof TEST_BACKENDS)[number]): Promise<void> {
  await selectBackend({ prefer: name });
  if (tf.getBackend() !== name) throw new Error(`backend ${name} did not activate`);
}
