import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { npyToFloat32, parseNpy, Random, selectBackend } from '@xai/core';
import { OnnxClassifier } from '../src/classifier.js';
import type { OnnxModel } from '../src/open.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The shared golden fixtures (read by path: @xai/testing depends on this package). */
export const GOLDEN = join(here, '..', '..', 'testing', 'fixtures', 'tiny-chelsea');
export const FIXTURES = join(here, '..', 'fixtures');

export const BACKENDS = ['wasm', 'cpu'] as const;

export async function useBackend(name: string): Promise<void> {
  await selectBackend({ prefer: name });
  if (tf.getBackend() !== name) throw new Error(`backend ${name} did not activate`);
}

export function readNpy(path: string): { data: Float32Array; shape: number[] } {
  const a = parseNpy(new Uint8Array(readFileSync(path)), path);
  return { data: npyToFloat32(a), shape: a.shape };
}

export function nchwToNhwc(x: { data: Float32Array; shape: number[] }): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(x.data, x.shape as [number, number, number, number]), [0, 2, 3, 1]));
}

export async function toNchw(x: tf.Tensor4D): Promise<Float32Array> {
  const t = tf.transpose(x, [0, 3, 1, 2]);
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}

/** max |a − b| / max |b| (SPEC.md's relative tolerance). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

/** Seeded uniform draws in [0, 1). */
export function seeded(seed: number): () => number {
  const random = new Random(seed >>> 0);
  return () => random.uniform();
}

/** Transformer and ConvNeXt fixtures (scripts/export-token-fixtures.py). */
export const TOKENS = join(FIXTURES, 'tokens');

export interface TokenEntry {
  name: string;
  file: string;
  opset: number;
  input_size: [number, number];
  num_classes: number;
  bytes: number;
  ops: string[];
  gradcam?: { layer: string; class_index: number; grid: number };
}

export function tokenManifest(): TokenEntry[] {
  return JSON.parse(readFileSync(join(TOKENS, 'manifest.json'), 'utf8')) as TokenEntry[];
}

/** The model as the white-box classifier (fails the test when it loaded as a black box). */
export async function whiteBox(model: OnnxModel | Promise<OnnxModel>): Promise<OnnxClassifier> {
  const m = await model;
  if (!(m instanceof OnnxClassifier)) throw new Error(`expected a white-box model, got a black box: ${m.whiteBoxUnavailable}`);
  return m;
}
