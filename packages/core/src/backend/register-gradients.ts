import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '../errors.js';

let registering: Promise<void> | undefined;

/**
 * Makes sure tfjs's gradient functions are registered; tfjs-core registers none by itself.
 * Bundlers load tfjs-core's own registration module. Node cannot (that module is ESM without file
 * extensions), so there the tfjs-layers package, whose Node build registers them all, is loaded.
 */
export function ensureGradients(): Promise<void> {
  if (tf.getGradient('Conv2D') && tf.getGradient('Sum')) return Promise.resolve();
  registering ??= register();
  return registering;
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
