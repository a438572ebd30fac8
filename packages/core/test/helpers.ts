// Core cannot depend on @xai/testing (which depends on core), so its tests carry their own helpers.
import { readFileSync } from 'node:fs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../src/backend/select.js';
import { parseNpy, type NpyArray } from '../src/npy.js';

export function readFixtureNpy(...parts: string[]): NpyArray {
  const url = new URL(`../../testing/fixtures/${parts.join('/')}`, import.meta.url);
  return parseNpy(new Uint8Array(readFileSync(url)), parts.join('/'));
}

export async function useBackend(name: 'wasm' | 'cpu'): Promise<void> {
  await selectBackend({ prefer: name });
  if (tf.getBackend() !== name) throw new Error(`backend ${name} did not activate`);
}

export function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}
