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

/**
 * A batch of `zeroed.length` copies of one layer's activations `[1, h, w, k]`, row `r` with the
 * channels `zeroed[r]` set to zero (an empty list leaves the row as it is).
 */
export function withChannelsZeroed(activations: tf.Tensor4D, zeroed: readonly (readonly number[])[]): tf.Tensor4D {
  const k = activations.shape[3];
  const mask = zeroed.flatMap((channels) => Array.from({ length: k }, (_, c) => (channels.includes(c) ? 0 : 1)));
  return tf.tidy(() => tf.mul(activations, tf.tensor4d(mask, [zeroed.length, 1, 1, k])));
}

/** Row `r` of a `[B, K]` array. */
export function row(values: ArrayLike<number>, r: number, width: number): number[] {
  return Array.from(values).slice(r * width, (r + 1) * width);
}

/**
 * What a linear head `logits = mean_hw(A) · W (+ terms that do not depend on A)` gives when channel
 * `c` of A is zeroed: the intact logits minus `mean_hw(A[..., c]) · W[c, :]`.
 */
export function zeroedLinearHead(logits: ArrayLike<number>, activations: tf.Tensor4D, weights: tf.Tensor2D, c: number): number[] {
  const [, h, w, k] = activations.shape;
  const a = activations.dataSync();
  const wv = weights.dataSync();
  const classes = weights.shape[1];
  let mean = 0;
  for (let i = 0; i < h * w; i++) mean += a[i * k + c];
  mean /= h * w;
  return Array.from({ length: classes }, (_, j) => logits[j] - mean * wv[c * classes + j]);
}

/** The bytes of typed arrays one after the other (a weights file). */
export function concatBytes(parts: readonly ArrayBufferView[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((n, d) => n + d.byteLength, 0));
  let offset = 0;
  for (const d of parts) {
    bytes.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), offset);
    offset += d.byteLength;
  }
  return bytes;
}
