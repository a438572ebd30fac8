import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '../errors.js';
import { registerGradientKernels } from './kernels/register.js';

let registering: Promise<void> | undefined;

/**
 * Makes sure tfjs's gradient functions are registered; tfjs-core registers none by itself.
 * Bundlers load tfjs-core's own registration module. Node cannot (that module is ESM without file
 * extensions), so there the tfjs-layers package, whose Node build registers them all, is loaded.
 * Also registers the active backend's gradient kernels (`registerGradientKernels`), so that a
 * backend the caller set with `tf.setBackend` rather than `selectBackend` computes gradients
 * right too (wasm's own MaxPoolGrad does not).
 */
export async function ensureGradients(): Promise<void> {
  if (!(tf.getGradient('Conv2D') && tf.getGradient('Sum'))) {
    registering ??= register();
    await registering;
  }
  registerGradientKernels(tf.getBackend());
}

const importOptional = (specifier: string) => import(/* @vite-ignore */ specifier);

async function register(): Promise<void> {
  const attempts = [
    () => import('@tensorflow/tfjs-core/dist/register_all_gradients.js'),
    () => importOptional('@tensorflow/tfjs-layers'),
  ];
  for (const attempt of attempts) {
    try {
      await attempt();
    } catch {
      continue;
    }
    if (tf.getGradient('Conv2D')) return;
  }
  registering = undefined;
  throw new XaiError('Gradients are unavailable: install @tensorflow/tfjs-layers (its Node build registers them)');
}
