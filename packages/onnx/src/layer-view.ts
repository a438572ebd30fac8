import * as tf from '@tensorflow/tfjs-core';
import type { TokenGrid } from '@xai/core';
import { TO_NCHW, TO_NHWC } from './ops/context.js';

/**
 * How a layer's output is read as a feature map NHWC `[B, h, w, k]` (SPEC.md "Token-based
 * models"), and back:
 * - `nchw`: a 4-D ONNX tensor in PyTorch's layout (held NHWC inside the graph when `held` is NHWC);
 * - `nhwc`: a 4-D tensor already channels-last (`[1, h, w, D]`: Swin stages, ConvNeXt blocks);
 * - `tokens`: `[1, T, D]` with `T = g²`, or `T = 1 + g²` (the first token, the class token, dropped);
 * - `vector`: a 2-D `[1, K]` output, read as `[1, 1, 1, K]`;
 * - `other`: no map (activations and gradients are refused).
 */
export type LayerView =
  | { kind: 'nchw' }
  | { kind: 'nhwc' }
  | { kind: 'tokens'; grid: number; classToken: boolean }
  | { kind: 'vector' }
  | { kind: 'other' };

/**
 * The view of a value of ONNX shape `shape` (batch first, at the batch unit `batch`). A 4-D
 * tensor the graph holds as NHWC came from convolutions: NCHW. Any other 4-D tensor is
 * channels-last when its axes 1 and 2 have the input's aspect ratio and axes 2 and 3 do not
 * (`[1, 8, 8, 96]` for a square input); otherwise NCHW.
 */
export function layerView(shape: readonly number[], heldNhwc: boolean, batch: number, input: { height: number; width: number }): LayerView {
  if (shape[0] !== batch) return { kind: 'other' };
  if (shape.length === 4) {
    if (heldNhwc) return { kind: 'nchw' };
    const aspect = (a: number, b: number) => a * input.width === b * input.height;
    return aspect(shape[1], shape[2]) && !aspect(shape[2], shape[3]) ? { kind: 'nhwc' } : { kind: 'nchw' };
  }
  if (shape.length === 3) {
    const t = shape[1];
    const withClass = Math.round(Math.sqrt(t - 1));
    if (t > 1 && withClass >= 2 && withClass * withClass === t - 1) return { kind: 'tokens', grid: withClass, classToken: true };
    const plain = Math.round(Math.sqrt(t));
    if (plain >= 2 && plain * plain === t) return { kind: 'tokens', grid: plain, classToken: false };
    return { kind: 'other' };
  }
  if (shape.length === 2) return { kind: 'vector' };
  return { kind: 'other' };
}

export function isFeatureMap(view: LayerView): boolean {
  return view.kind === 'nchw' || view.kind === 'nhwc' || view.kind === 'tokens';
}

/** The feature-map shape NHWC `[h, w, k]` (without the batch) of a value of ONNX shape `shape`. */
export function featureMapShape(view: LayerView, shape: readonly number[]): number[] {
  switch (view.kind) {
    case 'nchw': return [shape[2], shape[3], shape[1]];
    case 'nhwc': return shape.slice(1);
    case 'tokens': return [view.grid, view.grid, shape[2]];
    default: return shape.slice(1);
  }
}

export function tokenGrid(view: LayerView, shape: readonly number[]): TokenGrid | undefined {
  if (view.kind === 'tokens') return { grid: [view.grid, view.grid], classToken: view.classToken, from: 'tokens' };
  if (view.kind === 'nhwc') return { grid: [shape[1], shape[2]], classToken: false, from: 'channels-last' };
  return undefined;
}

/** The value as the graph holds it (NHWC when `heldNhwc`) → the feature map NHWC `[B, h, w, k]`. */
export function toFeatureMap(view: LayerView, held: tf.Tensor, heldNhwc: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    switch (view.kind) {
      case 'nchw': return (heldNhwc ? held.clone() : tf.transpose(held, TO_NHWC)) as tf.Tensor4D;
      case 'nhwc': return held.clone() as tf.Tensor4D;
      case 'tokens': {
        const [b, t, d] = held.shape;
        const patches = view.classToken ? tf.slice(held, [0, 1, 0], [b, t - 1, d]) : held;
        return tf.reshape(patches, [b, view.grid, view.grid, d]) as tf.Tensor4D;
      }
      case 'vector': return tf.reshape(held, [held.shape[0], 1, 1, -1]) as tf.Tensor4D;
      default: throw new Error(`no feature map for a value of shape [${held.shape.join(', ')}]`);
    }
  });
}

/**
 * A feature map NHWC `[B, h, w, k]` → the value the graph holds at the layer, for running the
 * network on from there. Tokens the map does not hold (the class token) come from `own`, the
 * layer's value for the image itself (`[1, T, D]`), repeated over the batch.
 */
export function fromFeatureMap(view: LayerView, map: tf.Tensor4D, heldNhwc: boolean, own?: tf.Tensor): tf.Tensor {
  const b = map.shape[0];
  switch (view.kind) {
    case 'nchw': return heldNhwc ? map : tf.transpose(map, TO_NCHW);
    case 'nhwc': return map;
    case 'tokens': {
      const patches = tf.reshape(map, [b, view.grid * view.grid, map.shape[3]]);
      if (!view.classToken) return patches;
      if (!own) throw new Error('the class token is needed to run on from a token layer');
      const cls = tf.slice(own, [0, 0, 0], [1, 1, own.shape[2]!]);
      return tf.concat([b === 1 ? cls : tf.tile(cls, [b, 1, 1]), patches], 1);
    }
    case 'vector': return tf.reshape(map, [b, -1]);
    default: throw new Error('no feature map at this layer');
  }
}
