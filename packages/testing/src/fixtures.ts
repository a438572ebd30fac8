import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNpy, npyToFloat32, type NpyArray } from '@xai/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** Absolute path of a file under packages/testing/fixtures. */
export function fixturePath(...parts: string[]): string {
  return join(root, ...parts);
}

export function readFixtureNpy(...parts: string[]): NpyArray {
  const path = fixturePath(...parts);
  return parseNpy(new Uint8Array(readFileSync(path)), path);
}

/** A fixture array as float32 values with its shape. */
export function readFixtureFloat32(...parts: string[]): { data: Float32Array; shape: number[] } {
  const array = readFixtureNpy(...parts);
  return { data: npyToFloat32(array), shape: array.shape };
}

export interface GoldenCase {
  case: string;
  input_size: [number, number];
  layout: 'NCHW' | 'NHWC';
  mean: number[];
  std: number[];
  n_classes: number;
  top_class: number;
  rise: { N: number; s: number; p1: number };
  abscam_layers: string[];
  metric: { step: number; insertion_substrate: string; deletion_substrate: string };
  insertion_auc: number;
  deletion_auc: number;
}

export function goldenCase(name = 'tiny-chelsea'): GoldenCase {
  return JSON.parse(readFileSync(fixturePath(name, 'case.json'), 'utf8')) as GoldenCase;
}

/** NCHW `[1, C, H, W]` values → NHWC order. */
export function nchwToNhwc(data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  const [n, c, h, w] = shape;
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) out[((b * h + y) * w + x) * c + ch] = data[((b * c + ch) * h + y) * w + x];
  return { data: out, shape: [n, h, w, c] };
}

/** `[…, H, W, C]` values in NCHW order (an attribution laid out as the PyTorch references hold it). */
export function nhwcToNchw(data: ArrayLike<number>, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  const plane = h * w * c;
  for (let b = 0; b < data.length / plane; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let ch = 0; ch < c; ch++) out[b * plane + (ch * h + y) * w + x] = data[b * plane + (y * w + x) * c + ch];
  return out;
}

/** A fixture case's preprocessed `input.npy` (NCHW) as the NHWC image tensor methods take. */
export function fixtureImage(name: string): tf.Tensor4D {
  const input = readFixtureFloat32(name, 'input.npy');
  const nhwc = nchwToNhwc(input.data, input.shape);
  return tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
}
