import * as tf from '@tensorflow/tfjs-core';
import type { HostTensor } from '../host.js';
import type { Value } from '../ir.js';
import { nhwc, tensor, type OpContext, type OpDef } from './context.js';

interface ConvWeights {
  kind: 'conv' | 'depthwise' | 'grouped';
  /** HWIO filters (one per group for `grouped`; [kh, kw, C, multiplier] for `depthwise`). */
  filters: tf.Tensor4D[];
  bias?: tf.Tensor1D;
  groups: number;
  kernel: [number, number];
}

function constWeight(ctx: OpContext, v: Value | undefined, what: string): HostTensor {
  if (!v) ctx.fail(`input ${what} is missing`);
  if (v.kind !== 'host') ctx.fail(`${what} must be a constant (an initializer); computed weights are not supported`);
  if (v.h.dtype !== 'float32') ctx.fail(`${what} must hold floating-point values, not ${v.h.dtype}`);
  return v.h;
}

/** Converts OIHW weights once: HWIO for convolutions, [kh, kw, C, m] for depthwise ones. */
function prepareConv(ctx: OpContext, inputs: (Value | undefined)[]): ConvWeights {
  const w = constWeight(ctx, inputs[1], 'W');
  if (w.shape.length !== 4) ctx.fail(`only 2-D convolutions are supported (weights of shape [${w.shape.join(', ')}])`);
  const [cout, cinPerGroup, kh, kw] = w.shape;
  const groups = ctx.node.attrs.int('group', 1);
  if (!(groups >= 1) || cout % groups !== 0) ctx.fail(`group ${groups} does not divide ${cout} output channels`);
  const b = inputs[2] ? constWeight(ctx, inputs[2], 'B') : undefined;
  if (b && (b.shape.length !== 1 || b.shape[0] !== cout)) ctx.fail(`bias of shape [${b.shape.join(', ')}] does not match ${cout} output channels`);
  const weights = tf.tensor4d(w.data as Float32Array, [cout, cinPerGroup, kh, kw], 'float32');
  try {
    let kind: ConvWeights['kind'];
    let filters: tf.Tensor4D[];
    if (groups === 1) {
      kind = 'conv';
      filters = [tf.transpose(weights, [2, 3, 1, 0])];
    } else if (cinPerGroup === 1) {
      kind = 'depthwise';
      const m = cout / groups;
      filters = [tf.tidy(() => tf.transpose(tf.reshape(weights, [groups, m, kh, kw]), [2, 3, 0, 1]))];
    } else {
      kind = 'grouped';
      filters = tf.tidy(() => tf.split(weights, groups, 0).map((g) => tf.transpose(g, [2, 3, 1, 0]) as tf.Tensor4D));
    }
    const bias = b ? tf.tensor1d(b.data as Float32Array, 'float32') : undefined;
    return { kind, filters, bias, groups, kernel: [kh, kw] };
  } finally {
    weights.dispose();
  }
}

/** Bound on kernel sizes, strides, dilations and pads: a corrupt file must not allocate without limit. */
export const MAX_WINDOW = 4096;

/** [top, left, bottom, right] padding of a 2-D window op, from `pads` or `auto_pad`. */
export function windowPads(
  ctx: OpContext,
  size: [number, number],
  kernel: [number, number],
  strides: [number, number],
  dilations: [number, number],
): [number, number, number, number] {
  const autoPad = ctx.node.attrs.string('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') {
    const pads = ctx.node.attrs.ints('pads') ?? [0, 0, 0, 0];
    // A pad beyond the window's extent only adds rows no window can use: refused (PyTorch never exports it).
    const extent = kernel.map((k, i) => (k - 1) * dilations[i] + 1);
    if (pads.length !== 4 || pads.some((p, i) => !(p >= 0 && p <= extent[i % 2]))) {
      ctx.fail(`pads [${pads.join(', ')}] must be four numbers from 0 to the ${extent.join('×')} window extent`);
    }
    return [pads[0], pads[1], pads[2], pads[3]];
  }
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  if (autoPad !== 'SAME_UPPER' && autoPad !== 'SAME_LOWER') ctx.fail(`auto_pad "${autoPad}" is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  const out: number[] = [];
  for (let i = 0; i < 2; i++) {
    const effective = (kernel[i] - 1) * dilations[i] + 1;
    const total = Math.max(0, (Math.ceil(size[i] / strides[i]) - 1) * strides[i] + effective - size[i]);
    const small = Math.floor(total / 2);
    out.push(autoPad === 'SAME_UPPER' ? small : total - small, autoPad === 'SAME_UPPER' ? total - small : small);
  }
  return [out[0], out[2], out[1], out[3]];
}

export function pair(ctx: OpContext, name: string, fallback: number): [number, number] {
  const v = ctx.node.attrs.ints(name);
  if (!v) return [fallback, fallback];
  if (v.length !== 2 || v.some((x) => !(x >= 1 && x <= MAX_WINDOW))) ctx.fail(`${name} [${v.join(', ')}] must be two numbers in 1–${MAX_WINDOW} (2-D)`);
  return [v[0], v[1]];
}

/** Pads an NHWC tensor so a 'valid' window op sees ONNX's padding; returns the tfjs pad argument. */
export function applyPads(x: tf.Tensor4D, pads: [number, number, number, number], value = 0): [tf.Tensor4D, 'valid' | number] {
  const [t, l, b, r] = pads;
  if (t === 0 && l === 0 && b === 0 && r === 0) return [x, 'valid'];
  if (t === l && t === b && t === r && value === 0) return [x, t];
  return [tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]], value), 'valid'];
}

/**
 * Window ops with different strides along height and width run at stride 1 and are then
 * subsampled: tfjs-backend-wasm 4.22 reads out of bounds on unequal strides.
 */
export function splitStrides(strides: [number, number]): { run: [number, number]; after?: [number, number] } {
  return strides[0] === strides[1] ? { run: strides } : { run: [1, 1], after: strides };
}

export function subsample(y: tf.Tensor4D, after: [number, number] | undefined): tf.Tensor4D {
  if (!after) return y;
  return tf.stridedSlice(y, [0, 0, 0, 0], y.shape, [1, after[0], after[1], 1]) as tf.Tensor4D;
}

function runConv(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const w = ctx.node.prepared as ConvWeights;
  const x = nhwc(ctx, inputs[0]!);
  const declaredStrides = pair(ctx, 'strides', 1);
  const dilations = pair(ctx, 'dilations', 1);
  if ((declaredStrides[0] > 1 || declaredStrides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1)) {
    ctx.fail('strides and dilations both above 1 are not supported by tfjs convolutions');
  }
  const pads = windowPads(ctx, [x.shape[1], x.shape[2]], w.kernel, declaredStrides, dilations);
  const { run: strides, after } = splitStrides(declaredStrides);
  const [input, pad] = applyPads(x, pads);
  const cin = x.shape[3];
  let y: tf.Tensor4D;
  const activation = ctx.node.activation ?? 'linear';
  if (w.kind === 'conv') {
    if (w.filters[0].shape[2] !== cin) ctx.fail(`weights expect ${w.filters[0].shape[2]} input channels, got ${cin}`);
    y = ctx.differentiable
      ? withBias(tf.conv2d(input, w.filters[0], strides, pad, 'NHWC', dilations), w.bias, activation)
      : tf.fused.conv2d({ x: input, filter: w.filters[0], strides, pad, dilations, bias: w.bias, activation });
  } else if (w.kind === 'depthwise') {
    if (w.groups !== cin) ctx.fail(`group ${w.groups} does not match ${cin} input channels`);
    y = ctx.differentiable
      ? withBias(tf.depthwiseConv2d(input, w.filters[0], strides, pad, 'NHWC', dilations), w.bias, activation)
      : tf.fused.depthwiseConv2d({ x: input, filter: w.filters[0], strides, pad, dilations, bias: w.bias, activation });
  } else {
    const per = w.filters[0].shape[2];
    if (per * w.groups !== cin) ctx.fail(`group ${w.groups} × ${per} channels does not match ${cin} input channels`);
    const parts = tf.split(input, w.groups, 3);
    const outs = parts.map((part, g) => tf.conv2d(part as tf.Tensor4D, w.filters[g], strides, pad, 'NHWC', dilations));
    y = withBias(tf.concat(outs, 3), w.bias, activation);
  }
  return [tensor(subsample(y, after), true)];
}

/** A convolution's bias and activation as their own ops (whose gradients tfjs takes only where needed). */
function withBias(y: tf.Tensor4D, bias: tf.Tensor | undefined, activation: string): tf.Tensor4D {
  let out = bias ? tf.add(y, bias) : y;
  if (activation === 'relu') out = tf.relu(out);
  else if (activation === 'relu6') out = tf.relu6(out);
  return out as tf.Tensor4D;
}

export const Conv: OpDef = { run: runConv, prepare: prepareConv };

export function disposePrepared(prepared: unknown): void {
  if (!prepared || typeof prepared !== 'object') return;
  for (const value of Object.values(prepared)) {
    if (value instanceof tf.Tensor) value.dispose();
    else if (Array.isArray(value)) for (const v of value) if (v instanceof tf.Tensor) v.dispose();
  }
}
