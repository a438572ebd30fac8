import * as tf from '@tensorflow/tfjs-core';
import { sizeOf, type HostTensor } from '../host.js';
import type { Value } from '../ir.js';
import { broadcastShapes, hostBroadcast } from './host-math.js';
import { host, hostData, logical, logicalShape, required, tensor, type OpContext, type OpDef } from './context.js';

/**
 * Comparisons, selection and the index arithmetic transformer exports carry (masks, positions,
 * class-token expansion). Host inputs give host outputs (folded at load when constant); a tensor
 * input gives a tensor, differentiable where the op is (Where, Expand, ScatterND's updates).
 */

/** Host results above this many values are made on the backend instead. */
const HOST_LIMIT = 1 << 20;


function tfDtype(h: HostTensor['dtype']): 'float32' | 'int32' | 'bool' {
  return h === 'float32' ? 'float32' : h === 'bool' ? 'bool' : 'int32';
}

function hostDtype(t: tf.DataType): HostTensor['dtype'] {
  return t === 'float32' ? 'float32' : t === 'bool' ? 'bool' : 'int';
}

function dtypeOf(v: Value): HostTensor['dtype'] {
  return v.kind === 'host' ? v.h.dtype : hostDtype(v.t.dtype);
}

/** Both operands as tensors of one dtype (ints and floats meet as floats). */
function sameDtype(ctx: OpContext, a: Value, b: Value): [tf.Tensor, tf.Tensor] {
  const ta = logical(ctx, a), tb = logical(ctx, b);
  if (ta.dtype === tb.dtype) return [ta, tb];
  if (ta.dtype === 'bool' || tb.dtype === 'bool') ctx.fail(`operands have different types (${ta.dtype}, ${tb.dtype})`);
  return [tf.cast(ta, 'float32'), tf.cast(tb, 'float32')];
}

function comparison(hostF: (a: number, b: number) => boolean, f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpDef {
  return {
    run(ctx, inputs) {
      const a = required(ctx, inputs, 0, 'A');
      const b = required(ctx, inputs, 1, 'B');
      if (a.kind === 'host' && b.kind === 'host') return [host(hostBroadcast([a.h, b.h], ([x, y]) => (hostF(x, y) ? 1 : 0), 'bool'))];
      const [ta, tb] = sameDtype(ctx, a, b);
      return [tensor(f(ta, tb))];
    },
  };
}

function logicalBinary(hostF: (a: boolean, b: boolean) => boolean, f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OpDef {
  return {
    run(ctx, inputs) {
      const a = required(ctx, inputs, 0, 'A');
      const b = required(ctx, inputs, 1, 'B');
      if (a.kind === 'host' && b.kind === 'host') return [host(hostBroadcast([a.h, b.h], ([x, y]) => (hostF(x !== 0, y !== 0) ? 1 : 0), 'bool'))];
      return [tensor(f(tf.cast(logical(ctx, a), 'bool'), tf.cast(logical(ctx, b), 'bool')))];
    },
  };
}

function not(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = required(ctx, inputs, 0, 'X');
  if (x.kind === 'host') return [host({ dtype: 'bool', shape: x.h.shape, data: Float64Array.from(x.h.data, (v) => (v === 0 ? 1 : 0)) })];
  return [tensor(tf.logicalNot(tf.cast(logical(ctx, x), 'bool')))];
}

function where(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const c = required(ctx, inputs, 0, 'condition');
  const x = required(ctx, inputs, 1, 'X');
  const y = required(ctx, inputs, 2, 'Y');
  const dtype = dtypeOf(x) === 'float32' || dtypeOf(y) === 'float32' ? 'float32' : dtypeOf(x);
  if (c.kind === 'host' && x.kind === 'host' && y.kind === 'host') {
    const shape = broadcastShapes(broadcastShapes(c.h.shape, x.h.shape) ?? ctx.fail('shapes do not broadcast'), y.h.shape);
    if (shape && sizeOf(shape) <= HOST_LIMIT) return [host(hostBroadcast([c.h, x.h, y.h], ([k, a, b]) => (k !== 0 ? a : b), dtype))];
  }
  const [tx, ty] = sameDtype(ctx, x, y);
  return [tensor(tf.where(tf.cast(logical(ctx, c), 'bool'), tx, ty))];
}

/** Integer mod takes the divisor's sign (Python's %); `fmod: 1` the dividend's (C's fmod). */
function mod(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const a = required(ctx, inputs, 0, 'A');
  const b = required(ctx, inputs, 1, 'B');
  const fmod = ctx.node.attrs.int('fmod', 0) === 1;
  const floats = dtypeOf(a) === 'float32' || dtypeOf(b) === 'float32';
  if (!fmod && floats) ctx.fail('fmod must be 1 for floating-point inputs');
  if (a.kind === 'host' && b.kind === 'host') {
    const f = fmod ? (x: number, y: number) => x % y : (x: number, y: number) => x - Math.floor(x / y) * y;
    return [host(hostBroadcast([a.h, b.h], ([x, y]) => f(x, y), floats ? 'float32' : 'int'))];
  }
  const [ta, tb] = sameDtype(ctx, a, b);
  if (!fmod) return [tensor(tf.mod(ta, tb))];
  const q = tf.div(tf.cast(ta, 'float32'), tf.cast(tb, 'float32'));
  const truncated = tf.mul(tf.sign(q), tf.floor(tf.abs(q)));
  return [tensor(tf.sub(ta, tf.cast(tf.mul(truncated, tf.cast(tb, 'float32')), ta.dtype)))];
}

function scalarOf(ctx: OpContext, v: Value | undefined, what: string): number {
  const data = hostData(ctx, v, what);
  if (data.length !== 1) ctx.fail(`${what} must be a scalar, got ${data.length} values`);
  return data[0];
}

function rangeOp(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const start = scalarOf(ctx, inputs[0], 'start');
  const limit = scalarOf(ctx, inputs[1], 'limit');
  const delta = scalarOf(ctx, inputs[2], 'delta');
  if (delta === 0 || !Number.isFinite(delta)) ctx.fail(`delta must be a non-zero number, got ${delta}`);
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  if (!(n <= HOST_LIMIT)) ctx.fail(`a range of ${n} values is more than supported (${HOST_LIMIT})`);
  const ints = dtypeOf(required(ctx, inputs, 0, 'start')) !== 'float32';
  const data = ints ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * delta;
  return [host({ dtype: ints ? 'int' : 'float32', shape: [n], data })];
}

function constantOfShape(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const shape = hostData(ctx, inputs[0], 'input');
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) ctx.fail(`invalid shape [${shape.join(', ')}]`);
  const value = ctx.node.attrs.tensor('value') ?? { dtype: 'float32' as const, shape: [1], data: new Float32Array(1) };
  if (value.data.length !== 1) ctx.fail('value must hold one element');
  const n = sizeOf(shape);
  if (n <= HOST_LIMIT) {
    const data = value.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
    data.fill(value.data[0]);
    return [host({ dtype: value.dtype, shape, data })];
  }
  return [tensor(tf.fill(shape, value.data[0], tfDtype(value.dtype)))];
}

function expand(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = required(ctx, inputs, 0, 'input');
  const wanted = hostData(ctx, inputs[1], 'shape');
  const from = logicalShape(x);
  const shape = broadcastShapes(from, wanted);
  if (!shape) ctx.fail(`cannot expand [${from.join(', ')}] to [${wanted.join(', ')}]`);
  if (x.kind === 'host' && sizeOf(shape) <= HOST_LIMIT) {
    const ones: HostTensor = { dtype: 'int', shape, data: new Float64Array(sizeOf(shape)) };
    return [host(hostBroadcast([x.h, ones], ([v]) => v, x.h.dtype))];
  }
  const t = logical(ctx, x);
  if (shape.length === t.rank && shape.every((d, i) => d === t.shape[i])) return [tensor(t)];
  return [tensor(tf.broadcastTo(shape.length > t.rank ? tf.reshape(t, [...new Array<number>(shape.length - t.rank).fill(1), ...t.shape]) : t, shape))];
}

/** Flat offsets of the slices `indices` [..., k] addresses in `shape`, and each slice's size. */
function scatterOffsets(ctx: OpContext, indices: number[], indexShape: number[], shape: number[]): { offsets: number[]; slice: number } {
  const k = indexShape[indexShape.length - 1];
  if (!(k >= 1 && k <= shape.length)) ctx.fail(`indices address ${k} axes of a ${shape.length}-D tensor`);
  const slice = sizeOf(shape.slice(k));
  const strides = shape.slice(0, k).map((_, d) => sizeOf(shape.slice(d + 1)));
  const offsets: number[] = [];
  for (let i = 0; i < indices.length; i += k) {
    let offset = 0;
    for (let d = 0; d < k; d++) {
      const j = indices[i + d] < 0 ? indices[i + d] + shape[d] : indices[i + d];
      if (!(j >= 0 && j < shape[d])) ctx.fail(`index ${indices[i + d]} is out of range for axis ${d} of length ${shape[d]}`);
      offset += j * strides[d];
    }
    offsets.push(offset);
  }
  return { offsets, slice };
}

function scatterND(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const data = required(ctx, inputs, 0, 'data');
  const indexValue = required(ctx, inputs, 1, 'indices');
  const updates = required(ctx, inputs, 2, 'updates');
  const reduction = ctx.node.attrs.string('reduction', 'none');
  if (reduction !== 'none') ctx.fail(`reduction "${reduction}" is not supported (none)`);
  const shape = logicalShape(data);
  const indexShape = logicalShape(indexValue);
  const { offsets, slice } = scatterOffsets(ctx, hostData(ctx, indexValue, 'indices'), indexShape, shape);
  if (sizeOf(logicalShape(updates)) !== offsets.length * slice) ctx.fail(`updates [${logicalShape(updates).join(', ')}] do not fit the indices`);
  if (data.kind === 'host' && updates.kind === 'host') {
    const out = data.h.data.slice();
    offsets.forEach((o, i) => out.set(updates.h.data.subarray(i * slice, (i + 1) * slice), o));
    return [host({ ...data.h, data: out })];
  }
  // On the backend: data where no index points, the updates gathered into place elsewhere.
  const n = sizeOf(shape);
  const source = new Int32Array(n).fill(-1);
  offsets.forEach((o, i) => {
    for (let j = 0; j < slice; j++) source[o + j] = i * slice + j;
  });
  const keep = tf.tensor(Float32Array.from(source, (s) => (s < 0 ? 1 : 0)), shape);
  const flatUpdates = tf.concat([tf.reshape(tf.cast(logical(ctx, updates), 'float32'), [-1]), tf.zeros([1])]);
  const placed = tf.reshape(tf.gather(flatUpdates, tf.tensor1d(Int32Array.from(source, (s) => (s < 0 ? offsets.length * slice : s)), 'int32')), shape);
  const base = tf.cast(logical(ctx, data), 'float32');
  const out = tf.add(tf.mul(base, keep), placed);
  const dtype = logical(ctx, data).dtype;
  return [tensor(dtype === 'float32' ? out : tf.cast(out, dtype))];
}

export const LOGIC_OPS: Record<string, OpDef> = {
  Equal: comparison((a, b) => a === b, tf.equal),
  Less: comparison((a, b) => a < b, tf.less),
  LessOrEqual: comparison((a, b) => a <= b, tf.lessEqual),
  Greater: comparison((a, b) => a > b, tf.greater),
  GreaterOrEqual: comparison((a, b) => a >= b, tf.greaterEqual),
  And: logicalBinary((a, b) => a && b, tf.logicalAnd),
  Or: logicalBinary((a, b) => a || b, tf.logicalOr),
  Xor: logicalBinary((a, b) => a !== b, tf.logicalXor),
  Not: { run: not },
  Where: { run: where },
  Mod: { run: mod },
  Range: { run: rangeOp },
  ConstantOfShape: { run: constantOfShape },
  Expand: { run: expand },
  ScatterND: { run: scatterND },
};
