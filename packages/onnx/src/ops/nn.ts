import * as tf from '@tensorflow/tfjs-core';
import type { Value } from '../ir.js';
import { pair, splitStrides, subsample, windowPads } from './conv.js';
import {
  PHYSICAL_AXIS, hostData, isNhwc, logical, logicalShape, nhwc, normAxis, rankOf, required, tensor,
  type OpContext, type OpDef,
} from './context.js';

const LOWEST = -3.4028234663852886e38;

interface PoolGeometry {
  kernel: [number, number];
  strides: [number, number];
  /** [top, left, bottom, right], with the extra bottom/right rows ceil_mode needs. */
  pads: [number, number, number, number];
  declared: [number, number, number, number];
  out: [number, number];
}

function poolGeometry(ctx: OpContext, x: tf.Tensor4D): PoolGeometry {
  const kernel = pair(ctx, 'kernel_shape', 0);
  if (!(kernel[0] >= 1)) ctx.fail('kernel_shape is missing or not 2-D');
  const strides = pair(ctx, 'strides', 1);
  const dilations = pair(ctx, 'dilations', 1);
  if (dilations[0] !== 1 || dilations[1] !== 1) ctx.fail('dilated pooling is not supported');
  const size: [number, number] = [x.shape[1], x.shape[2]];
  const declared = windowPads(ctx, size, kernel, strides, dilations);
  const ceil = ctx.node.attrs.int('ceil_mode', 0) === 1;
  const out: [number, number] = [0, 0];
  const extra = [0, 0];
  for (let i = 0; i < 2; i++) {
    const padded = size[i] + declared[i] + declared[i + 2];
    if (padded < kernel[i]) ctx.fail(`the ${kernel.join('×')} window is larger than the padded ${size.join('×')} input`);
    let o = (ceil ? Math.ceil : Math.floor)((padded - kernel[i]) / strides[i]) + 1;
    // As PyTorch and onnxruntime: the last window must start inside the input or its left padding.
    if (ceil && (o - 1) * strides[i] >= size[i] + declared[i]) o--;
    out[i] = o;
    extra[i] = Math.max(0, (o - 1) * strides[i] + kernel[i] - padded);
  }
  const pads: PoolGeometry['pads'] = [declared[0], declared[1], declared[2] + extra[0], declared[3] + extra[1]];
  return { kernel, strides, pads, declared, out };
}

function maxPool(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  if (ctx.node.outputs.length > 1 && ctx.node.outputs[1]) ctx.fail('the Indices output of MaxPool is not supported');
  const input = nhwc(ctx, required(ctx, inputs, 0, 'X'));
  // Integer images (uint8, int8) pool as floats: tfjs-backend-wasm pools only float32.
  const x = input.dtype === 'float32' ? input : tf.cast(input, 'float32');
  const g = poolGeometry(ctx, x);
  const [t, l, b, r] = g.pads;
  const uniform = t === l && t === b && t === r;
  const { run, after } = splitStrides(g.strides);
  // tfjs max pools skip padded cells, which equals ONNX's −∞ padding.
  const y = uniform
    ? tf.maxPool(x, g.kernel, run, t)
    : tf.maxPool(tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]], LOWEST), g.kernel, run, 'valid');
  const pooled = subsample(y, after);
  return [tensor(input.dtype === 'float32' ? pooled : tf.cast(pooled, input.dtype), true)];
}

/** How many cells each average-pool window divides by (PyTorch's and onnxruntime's rule). */
function divisors(ctx: OpContext, g: PoolGeometry, size: [number, number], includePad: boolean): tf.Tensor {
  return ctx.cached(JSON.stringify(['avgpool-divisors', g, size, includePad]), () => divisorTensor(g, size, includePad));
}

function divisorTensor(g: PoolGeometry, size: [number, number], includePad: boolean): tf.Tensor {
  const counts = (i: number): number[] =>
    Array.from({ length: g.out[i] }, (_, o) => {
      const start = o * g.strides[i] - g.declared[i];
      const end = start + g.kernel[i];
      return includePad
        ? Math.min(end, size[i] + g.declared[i + 2]) - start
        : Math.min(end, size[i]) - Math.max(start, 0);
    });
  const rows = counts(0), cols = counts(1);
  const values = new Float32Array(g.out[0] * g.out[1]);
  for (let i = 0; i < rows.length; i++) for (let j = 0; j < cols.length; j++) values[i * cols.length + j] = rows[i] * cols[j];
  return tf.tensor4d(values, [1, g.out[0], g.out[1], 1]);
}

function averagePool(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = nhwc(ctx, required(ctx, inputs, 0, 'X'));
  const g = poolGeometry(ctx, x);
  const { run, after } = splitStrides(g.strides);
  if (g.pads.every((p) => p === 0)) return [tensor(subsample(tf.avgPool(x, g.kernel, run, 'valid'), after), true)];
  const includePad = ctx.node.attrs.int('count_include_pad', 0) === 1;
  const [t, l, b, r] = g.pads;
  const input = tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]]);
  const sums = tf.mul(subsample(tf.avgPool(input, g.kernel, run, 'valid'), after), g.kernel[0] * g.kernel[1]);
  return [tensor(tf.div(sums, divisors(ctx, g, [x.shape[1], x.shape[2]], includePad)), true)];
}

function globalPool(kind: 'mean' | 'max'): OpDef['run'] {
  return (ctx, inputs) => {
    const v = required(ctx, inputs, 0, 'X');
    if (rankOf(v) !== 4) ctx.fail(`expected a 4-D input, got shape [${logicalShape(v).join(', ')}]`);
    const x = nhwc(ctx, v);
    return [tensor(kind === 'mean' ? tf.mean(x, [1, 2], true) : tf.max(x, [1, 2], true), true)];
  };
}

function reduce(kind: 'mean' | 'sum' | 'max' | 'min', axesInputFrom: number): OpDef['run'] {
  return (ctx, inputs) => {
    const v = required(ctx, inputs, 0, 'data');
    const rank = rankOf(v);
    const keep = ctx.node.attrs.int('keepdims', 1) === 1;
    let axes = ctx.opset >= axesInputFrom ? (inputs[1] ? hostData(ctx, inputs[1], 'axes') : undefined) : ctx.node.attrs.ints('axes');
    if (!axes || axes.length === 0) {
      if (ctx.node.attrs.int('noop_with_empty_axes', 0) === 1) return [v];
      axes = Array.from({ length: rank }, (_, i) => i);
    }
    const logicalAxes = [...new Set(axes.map((a) => normAxis(ctx, a, rank)))];
    const op = { mean: tf.mean, sum: tf.sum, max: tf.max, min: tf.min }[kind];
    if (isNhwc(v)) {
      const t = (v as { t: tf.Tensor }).t;
      const physical = logicalAxes.map((a) => PHYSICAL_AXIS[a]);
      const y = op(t, physical, keep);
      if (keep) return [tensor(y, true)];
      // Remaining axes, in NHWC order; put them back in ONNX order.
      const remaining = [0, 2, 3, 1].filter((a) => !logicalAxes.includes(a));
      const order = remaining.map((_, i) => i).sort((i, j) => remaining[i] - remaining[j]);
      return [tensor(order.every((o, i) => o === i) ? y : tf.transpose(y, order))];
    }
    return [tensor(op(logical(ctx, v), logicalAxes, keep))];
  };
}

interface BatchNormWeights {
  scale: tf.Tensor1D;
  shift: tf.Tensor1D;
}

function prepareBatchNorm(ctx: OpContext, inputs: (Value | undefined)[]): BatchNormWeights {
  if (ctx.node.attrs.int('training_mode', 0) === 1) ctx.fail('training_mode 1 (batch statistics) is not supported: export the model in inference mode');
  const eps = ctx.node.attrs.float('epsilon', 1e-5);
  const get = (i: number, what: string) => {
    const v = inputs[i];
    if (!v || v.kind !== 'host') ctx.fail(`${what} must be a constant`);
    return v.h.data;
  };
  const gamma = get(1, 'scale'), beta = get(2, 'B'), mean = get(3, 'mean'), variance = get(4, 'var');
  const c = gamma.length;
  if ([beta, mean, variance].some((a) => a.length !== c)) ctx.fail('scale, B, mean and var differ in length');
  const scale = new Float32Array(c), shift = new Float32Array(c);
  for (let i = 0; i < c; i++) {
    scale[i] = gamma[i] / Math.sqrt(variance[i] + eps);
    shift[i] = beta[i] - mean[i] * scale[i];
  }
  return { scale: tf.keep(tf.tensor1d(scale)), shift: tf.keep(tf.tensor1d(shift)) };
}

function batchNorm(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const w = ctx.node.prepared as BatchNormWeights;
  const v = required(ctx, inputs, 0, 'X');
  const c = w.scale.shape[0];
  if (isNhwc(v)) {
    const t = (v as { t: tf.Tensor }).t;
    if (t.shape[3] !== c) ctx.fail(`${t.shape[3]} channels, but ${c} statistics`);
    return [tensor(tf.add(tf.mul(t, w.scale), w.shift), true)];
  }
  const x = logical(ctx, v);
  if (x.rank < 2 || x.shape[1] !== c) ctx.fail(`input of shape [${x.shape.join(', ')}] does not have ${c} channels on axis 1`);
  const shape = [c, ...new Array<number>(x.rank - 2).fill(1)];
  return [tensor(tf.add(tf.mul(x, tf.reshape(w.scale, shape)), tf.reshape(w.shift, shape)))];
}

interface GemmWeights {
  /** B as [K, N] (transposed once at load when transB = 1). */
  b?: tf.Tensor2D;
}

function prepareGemm(ctx: OpContext, inputs: (Value | undefined)[]): GemmWeights {
  const b = inputs[1];
  if (!b || b.kind !== 'host' || b.h.shape.length !== 2 || b.h.dtype !== 'float32') return {};
  const t = tf.tensor2d(b.h.data as Float32Array, b.h.shape as [number, number], 'float32');
  if (ctx.node.attrs.int('transB', 0) !== 1) return { b: t };
  const transposed = tf.transpose(t);
  t.dispose();
  return { b: transposed };
}

function gemm(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const prepared = (ctx.node.prepared ?? {}) as GemmWeights;
  const a = logical(ctx, required(ctx, inputs, 0, 'A'));
  // Constant B is already [K, N]: tfjs-backend-wasm's fused MatMul gives wrong results with transposeB.
  const b = prepared.b ?? logical(ctx, required(ctx, inputs, 1, 'B'));
  if (a.rank !== 2 || b.rank !== 2) ctx.fail(`A and B must be 2-D, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  const alpha = ctx.node.attrs.float('alpha', 1);
  const beta = ctx.node.attrs.float('beta', 1);
  const transposeA = ctx.node.attrs.int('transA', 0) === 1;
  const transposeB = !prepared.b && ctx.node.attrs.int('transB', 0) === 1;
  const k1 = transposeA ? a.shape[0] : a.shape[1], k2 = transposeB ? b.shape[1] : b.shape[0];
  if (k1 !== k2) ctx.fail(`inner sizes differ: [${a.shape.join(', ')}] × [${b.shape.join(', ')}]`);
  const cValue = inputs[2];
  const c = cValue ? logical(ctx, cValue) : undefined;
  // The fused bias must be a full row: tfjs-backend-wasm does not broadcast a one-element C.
  if (alpha === 1 && beta === 1 && c && c.rank === 1 && c.shape[0] === b.shape[1] && !transposeA && !transposeB && !ctx.differentiable) {
    return [tensor(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c }))];
  }
  let y: tf.Tensor = tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, transposeA, transposeB);
  if (alpha !== 1) y = tf.mul(y, alpha);
  if (c) y = tf.add(y, beta === 1 ? c : tf.mul(c, beta));
  return [tensor(y)];
}

function matMul(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const a = logical(ctx, required(ctx, inputs, 0, 'A'));
  const b = logical(ctx, required(ctx, inputs, 1, 'B'));
  // NumPy's matmul: a 1-D operand gets an axis (removed again), batch axes broadcast.
  const a2 = a.rank === 1 ? tf.reshape(a, [1, -1]) : a;
  const b2 = b.rank === 1 ? tf.reshape(b, [-1, 1]) : b;
  if (a2.shape[a2.rank - 1] !== b2.shape[b2.rank - 2]) ctx.fail(`inner sizes differ: [${a.shape.join(', ')}] × [${b.shape.join(', ')}]`);
  let y = tf.matMul(a2, b2);
  if (a.rank === 1 || b.rank === 1) {
    const shape = y.shape.slice();
    if (b.rank === 1) shape.pop();
    if (a.rank === 1) shape.splice(shape.length - (b.rank === 1 ? 1 : 2), 1);
    y = tf.reshape(y, shape);
  }
  return [tensor(y)];
}

function softmax(log: boolean): OpDef['run'] {
  return (ctx, inputs) => {
    const x = logical(ctx, required(ctx, inputs, 0, 'input'));
    const f = (t: tf.Tensor) => (log ? tf.logSoftmax(t) : tf.softmax(t));
    const axis = normAxis(ctx, ctx.node.attrs.int('axis', ctx.opset >= 13 ? -1 : 1), x.rank);
    if (ctx.opset < 13) {
      const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
      return [tensor(tf.reshape(f(tf.reshape(x, [outer, -1])), x.shape))];
    }
    if (axis === x.rank - 1) return [tensor(f(x))];
    const perm = Array.from({ length: x.rank }, (_, i) => i);
    perm[axis] = x.rank - 1;
    perm[x.rank - 1] = axis;
    return [tensor(tf.transpose(f(tf.transpose(x, perm)), perm))];
  };
}

export const NN_OPS: Record<string, OpDef> = {
  MaxPool: { run: maxPool },
  AveragePool: { run: averagePool },
  GlobalAveragePool: { run: globalPool('mean') },
  GlobalMaxPool: { run: globalPool('max') },
  ReduceMean: { run: reduce('mean', 18) },
  ReduceSum: { run: reduce('sum', 13) },
  ReduceMax: { run: reduce('max', 18) },
  ReduceMin: { run: reduce('min', 18) },
  BatchNormalization: { run: batchNorm, prepare: prepareBatchNorm },
  Gemm: { run: gemm, prepare: prepareGemm },
  MatMul: { run: matMul },
  Softmax: { run: softmax(false) },
  LogSoftmax: { run: softmax(true) },
};
