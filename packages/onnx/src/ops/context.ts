import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '@xai/core';
import type { HostTensor } from '../host.js';
import { describeNode, type GraphNode, type Value } from '../ir.js';

/** What an operator gets besides its inputs. */
export interface OpContext {
  node: GraphNode;
  opset: number;
  /**
   * Gradients will be taken through this run: ops avoid fused kernels whose gradient computes
   * every input's (tfjs's fused conv and matmul compute the weights' too, which no method uses).
   */
  differentiable: boolean;
  /** A constant as a tfjs tensor (created once, owned by the graph). */
  constant(h: HostTensor): tf.Tensor;
  /** A tensor derived from constants, made once per key and owned by the graph. */
  cached(key: unknown, make: () => tf.Tensor): tf.Tensor;
  fail(message: string): never;
}

export type OpFn = (ctx: OpContext, inputs: (Value | undefined)[]) => Value[];

export interface OpDef {
  run: OpFn;
  /** Converts constant weights once at load; the result is kept in `node.prepared`. */
  prepare?: (ctx: OpContext, inputs: (Value | undefined)[]) => unknown;
}

/** NCHW → NHWC permutation, and where NCHW axis `a` lives in NHWC. */
export const TO_NHWC = [0, 2, 3, 1];
export const TO_NCHW = [0, 3, 1, 2];
export const PHYSICAL_AXIS = [0, 3, 1, 2];

export function host(h: HostTensor): Value {
  return { kind: 'host', h };
}

export function tensor(t: tf.Tensor, nhwc = false): Value {
  return { kind: 'tensor', t, nhwc };
}

export function rankOf(v: Value): number {
  return v.kind === 'host' ? v.h.shape.length : v.t.rank;
}

/** Shape in ONNX's (logical) terms. */
export function logicalShape(v: Value): number[] {
  if (v.kind === 'host') return v.h.shape;
  const s = v.t.shape as number[];
  return v.nhwc ? [s[0], s[3], s[1], s[2]] : s;
}

export function hostToTensor(h: HostTensor): tf.Tensor {
  if (h.dtype === 'float32') return tf.tensor(h.data as Float32Array, h.shape, 'float32');
  if (h.dtype === 'bool') return tf.cast(tf.tensor(Int32Array.from(h.data), h.shape, 'int32'), 'bool');
  return tf.tensor(Int32Array.from(h.data), h.shape, 'int32');
}

/** The value as a tfjs tensor in ONNX's layout. */
export function logical(ctx: OpContext, v: Value): tf.Tensor {
  if (v.kind === 'host') return ctx.constant(v.h);
  return v.nhwc ? tf.transpose(v.t, TO_NCHW) : v.t;
}

/** A 4-D value as an NHWC tensor. */
export function nhwc(ctx: OpContext, v: Value): tf.Tensor4D {
  if (v.kind === 'tensor' && v.nhwc) return v.t as tf.Tensor4D;
  const t = v.kind === 'host' ? ctx.constant(v.h) : v.t;
  if (t.rank !== 4) ctx.fail(`expected a 4-D (N, C, H, W) input, got shape [${logicalShape(v).join(', ')}]`);
  return tf.transpose(t, TO_NHWC) as tf.Tensor4D;
}

export function isNhwc(v: Value | undefined): boolean {
  return v !== undefined && v.kind === 'tensor' && v.nhwc;
}

/** A constant (host) input as numbers; tensors are read back (rare: shape data computed on device). */
export function hostData(ctx: OpContext, v: Value | undefined, what: string): number[] {
  if (!v) ctx.fail(`input "${what}" is missing`);
  if (v.kind === 'host') return Array.from(v.h.data);
  return Array.from(logical(ctx, v).dataSync());
}

export function required(ctx: OpContext, inputs: (Value | undefined)[], i: number, what: string): Value {
  const v = inputs[i];
  if (!v) ctx.fail(`input ${i} (${what}) is missing`);
  return v;
}

export function normAxis(ctx: OpContext, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank) || !Number.isInteger(a)) ctx.fail(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}

export function makeContext(
  node: GraphNode,
  opset: number,
  constant: (h: HostTensor) => tf.Tensor,
  cached: (key: unknown, make: () => tf.Tensor) => tf.Tensor,
  differentiable = false,
): OpContext {
  return {
    node,
    opset,
    differentiable,
    constant,
    cached,
    fail(message: string): never {
      throw new XaiError(`${describeNode(node)}: ${message}`);
    },
  };
}
