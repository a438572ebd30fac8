import * as tf from '@tensorflow/tfjs-core';
import { DTYPE, hostInts, sizeOf, type HostTensor } from '../host.js';
import type { Value } from '../ir.js';
import { hostConcat, hostSelect, range } from './host-math.js';
import {
  PHYSICAL_AXIS, TO_NCHW, host, hostData, isNhwc, logical, logicalShape, nhwc, normAxis, rankOf, required, tensor,
  type OpContext, type OpDef,
} from './context.js';

function reshapeValue(ctx: OpContext, v: Value, shape: number[]): Value {
  if (v.kind === 'host') {
    if (sizeOf(shape) !== v.h.data.length) ctx.fail(`cannot reshape ${v.h.data.length} values to [${shape.join(', ')}]`);
    return host({ ...v.h, shape });
  }
  // [N, C, 1, 1] held as NHWC has the same element order as NCHW.
  const s = v.t.shape;
  const t = v.nhwc && !(s[1] === 1 && s[2] === 1) ? tf.transpose(v.t, TO_NCHW) : v.t;
  if (sizeOf(shape) !== t.size) ctx.fail(`cannot reshape [${logicalShape(v).join(', ')}] to [${shape.join(', ')}]`);
  return tensor(tf.reshape(t, shape));
}

function flatten(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = required(ctx, inputs, 0, 'input');
  const shape = logicalShape(v);
  const axis = ctx.node.attrs.int('axis', 1);
  const a = axis < 0 ? axis + shape.length : axis;
  if (!(a >= 0 && a <= shape.length)) ctx.fail(`axis ${axis} is out of range for rank ${shape.length}`);
  return [reshapeValue(ctx, v, [sizeOf(shape.slice(0, a)), sizeOf(shape.slice(a))])];
}

function reshape(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = required(ctx, inputs, 0, 'data');
  const wanted = hostData(ctx, inputs[1], 'shape');
  const from = logicalShape(v);
  const allowZero = ctx.node.attrs.int('allowzero', 0) === 1;
  const shape = wanted.map((d, i) => (d === 0 && !allowZero ? from[i] : d));
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1 || shape.some((d) => !Number.isInteger(d) || d < -1 || d === undefined)) {
    ctx.fail(`invalid target shape [${wanted.join(', ')}]`);
  }
  if (unknown === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    const total = sizeOf(from);
    if (known === 0 || total % known !== 0) ctx.fail(`cannot reshape [${from.join(', ')}] to [${wanted.join(', ')}]`);
    shape[shape.indexOf(-1)] = total / known;
  }
  return [reshapeValue(ctx, v, shape)];
}

function transpose(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = required(ctx, inputs, 0, 'data');
  const rank = rankOf(v);
  const perm = ctx.node.attrs.ints('perm') ?? range(rank).reverse();
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) ctx.fail(`perm [${perm.join(', ')}] is not a permutation of ${rank} axes`);
  if (v.kind === 'host') return [host(hostSelectTranspose(v.h, perm))];
  if (v.nhwc) return [tensor(tf.transpose(v.t, perm.map((p) => PHYSICAL_AXIS[p])))];
  return [tensor(tf.transpose(v.t, perm))];
}

function hostSelectTranspose(h: HostTensor, perm: number[]): HostTensor {
  const shape = perm.map((p) => h.shape[p]);
  const n = sizeOf(shape);
  const out = h.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const strides = h.shape.map((_, i) => sizeOf(h.shape.slice(i + 1)));
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src += idx[d] * strides[perm[d]];
    out[i] = h.data[src];
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return { dtype: h.dtype, shape, data: out };
}

function concat(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const parts = inputs.filter((v): v is Value => v !== undefined);
  if (parts.length === 0) ctx.fail('no inputs');
  const rank = rankOf(parts[0]);
  if (parts.some((p) => rankOf(p) !== rank)) ctx.fail('inputs differ in rank');
  const axis = normAxis(ctx, ctx.node.attrs.int('axis', 0), rank);
  const shapes = parts.map(logicalShape);
  for (const s of shapes) {
    if (s.some((d, i) => i !== axis && d !== shapes[0][i])) ctx.fail(`shapes [${shapes.map((x) => x.join('×')).join('], [')}] differ off axis ${axis}`);
  }
  if (parts.every((p) => p.kind === 'host')) return [host(hostConcat(parts.map((p) => (p as { h: HostTensor }).h), axis))];
  if (rank === 4 && parts.some(isNhwc)) return [tensor(tf.concat(parts.map((p) => nhwc(ctx, p)), PHYSICAL_AXIS[axis]), true)];
  return [tensor(tf.concat(parts.map((p) => logical(ctx, p)), axis))];
}

function split(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = required(ctx, inputs, 0, 'input');
  const shape = logicalShape(v);
  const axis = normAxis(ctx, ctx.node.attrs.int('axis', 0), shape.length);
  const n = ctx.node.outputs.length;
  let sizes = ctx.opset >= 13 ? (inputs[1] ? hostData(ctx, inputs[1], 'split') : undefined) : ctx.node.attrs.ints('split');
  if (!sizes) {
    const parts = ctx.node.attrs.int('num_outputs', n);
    const each = Math.ceil(shape[axis] / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.min(each, shape[axis] - each * i));
  }
  if (sizes.length !== n || sizes.some((s) => !(s >= 0)) || sizes.reduce((a, b) => a + b, 0) !== shape[axis]) {
    ctx.fail(`split sizes [${sizes.join(', ')}] do not divide axis ${axis} of length ${shape[axis]} into ${n} outputs`);
  }
  if (isNhwc(v)) return tf.split((v as { t: tf.Tensor }).t, sizes, PHYSICAL_AXIS[axis]).map((t) => tensor(t, true));
  return tf.split(logical(ctx, v), sizes, axis).map((t) => tensor(t));
}

function slice(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = required(ctx, inputs, 0, 'data');
  const shape = logicalShape(v);
  let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
  if (ctx.opset < 10) {
    starts = ctx.node.attrs.ints('starts') ?? [];
    ends = ctx.node.attrs.ints('ends') ?? [];
    axes = ctx.node.attrs.ints('axes');
  } else {
    starts = hostData(ctx, inputs[1], 'starts');
    ends = hostData(ctx, inputs[2], 'ends');
    axes = inputs[3] ? hostData(ctx, inputs[3], 'axes') : undefined;
    steps = inputs[4] ? hostData(ctx, inputs[4], 'steps') : undefined;
  }
  axes ??= range(starts.length);
  if (ends.length !== starts.length || axes.length !== starts.length || (steps && steps.length !== starts.length)) {
    ctx.fail('starts, ends, axes and steps differ in length');
  }
  const begin = shape.map(() => 0), end = [...shape], stride = shape.map(() => 1);
  axes.forEach((axis, i) => {
    const a = normAxis(ctx, axis, shape.length);
    const d = shape[a];
    const step = steps ? steps[i] : 1;
    if (!Number.isFinite(step) || step === 0) ctx.fail('a slice step is 0');
    let s = starts[i] < 0 ? starts[i] + d : starts[i];
    let e = ends[i] < 0 ? ends[i] + d : ends[i];
    if (Number.isNaN(s) || Number.isNaN(e)) ctx.fail('slice bounds are not numbers');
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    begin[a] = s;
    end[a] = e;
    stride[a] = step;
  });
  const picks = shape.map((_, a) => {
    const out: number[] = [];
    for (let i = begin[a]; stride[a] > 0 ? i < end[a] : i > end[a]; i += stride[a]) out.push(i);
    return out;
  });
  if (v.kind === 'host') return [host(hostSelect(v.h, picks))];
  const allUnit = stride.every((s) => s === 1);
  const phys = v.nhwc ? [0, 2, 3, 1] : range(shape.length); // physical axis i holds logical axis phys[i]
  if (allUnit) {
    const b = phys.map((a) => begin[a]);
    const size = phys.map((a) => picks[a].length);
    return [tensor(tf.slice(v.t, b, size), v.nhwc)];
  }
  // General steps: gather along each stepped axis.
  let t = v.t;
  phys.forEach((a, i) => {
    if (picks[a].length !== shape[a] || stride[a] !== 1) t = tf.gather(t, tf.tensor1d(picks[a], 'int32'), i);
  });
  return [tensor(t, v.nhwc)];
}

function gather(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = required(ctx, inputs, 0, 'data');
  const shape = logicalShape(v);
  const axis = normAxis(ctx, ctx.node.attrs.int('axis', 0), shape.length);
  const ind = required(ctx, inputs, 1, 'indices');
  const indices = hostData(ctx, ind, 'indices').map((i) => (i < 0 ? i + shape[axis] : i));
  if (indices.some((i) => !(i >= 0 && i < shape[axis]) || !Number.isInteger(i))) ctx.fail(`indices out of range for axis ${axis} of length ${shape[axis]}`);
  const indexShape = logicalShape(ind);
  if (v.kind === 'host') {
    const picks = shape.map((d, a) => (a === axis ? indices : range(d)));
    const out = hostSelect(v.h, picks);
    return [host({ ...out, shape: [...shape.slice(0, axis), ...indexShape, ...shape.slice(axis + 1)] })];
  }
  const t = tf.gather(logical(ctx, v), tf.tensor(indices, indexShape, 'int32'), axis);
  return [tensor(t)];
}

function shapeOp(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const shape = logicalShape(required(ctx, inputs, 0, 'data'));
  const r = shape.length;
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + r : i, 0), r);
  const start = clamp(ctx.node.attrs.int('start', 0));
  const end = clamp(ctx.node.attrs.int('end', r));
  return [host(hostInts(shape.slice(start, Math.max(start, end))))];
}

function axesOf(ctx: OpContext, inputs: (Value | undefined)[]): number[] | undefined {
  return ctx.opset >= 13 ? (inputs[1] ? hostData(ctx, inputs[1], 'axes') : undefined) : ctx.node.attrs.ints('axes');
}

function unsqueeze(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = required(ctx, inputs, 0, 'data');
  const shape = logicalShape(v);
  const axes = axesOf(ctx, inputs) ?? ctx.fail('axes are missing');
  const rank = shape.length + axes.length;
  const normalised = axes.map((a) => normAxis(ctx, a, rank));
  if (new Set(normalised).size !== normalised.length) ctx.fail('repeated axes');
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(normalised.includes(i) ? 1 : shape[j++]);
  return [reshapeValue(ctx, v, out)];
}

function squeeze(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = required(ctx, inputs, 0, 'data');
  const shape = logicalShape(v);
  const axes = axesOf(ctx, inputs)?.map((a) => normAxis(ctx, a, shape.length));
  if (axes?.some((a) => shape[a] !== 1)) ctx.fail(`cannot squeeze axes [${axes.join(', ')}] of shape [${shape.join(', ')}]`);
  return [reshapeValue(ctx, v, shape.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)))];
}

function constant(ctx: OpContext): Value[] {
  const a = ctx.node.attrs;
  const t = a.tensor('value');
  if (t) return [host(t)];
  const f = a.has('value_float') ? [a.float('value_float', 0)] : undefined;
  if (f) return [host({ dtype: 'float32', shape: [], data: Float32Array.from(f) })];
  const fs = a.floats('value_floats');
  if (fs) return [host({ dtype: 'float32', shape: [fs.length], data: Float32Array.from(fs) })];
  if (a.has('value_int')) return [host(hostInts([a.int('value_int', 0)], []))];
  const is = a.ints('value_ints');
  if (is) return [host(hostInts(is))];
  ctx.fail(`no supported value attribute (has: ${a.names().join(', ') || 'none'})`);
}

function identity(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = required(ctx, inputs, 0, 'input');
  if (ctx.node.outputs.length > 1 && ctx.node.outputs[1]) {
    // Dropout's mask output: all ones in inference.
    const shape = logicalShape(v);
    return [v, host({ dtype: 'bool', shape, data: new Float64Array(sizeOf(shape)).fill(1) })];
  }
  return [v];
}

/** Dropout as in inference: the identity. Training mode with a ratio above 0 (random masks) is refused. */
function dropout(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const training = inputs[2] ? hostData(ctx, inputs[2], 'training_mode')[0] : 0;
  const ratio = inputs[1] ? hostData(ctx, inputs[1], 'ratio')[0] : 0.5;
  if (training && ratio > 0) ctx.fail(`training_mode true with ratio ${ratio} drops random values: export the model in inference mode`);
  return identity(ctx, inputs);
}

function pad(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = required(ctx, inputs, 0, 'data');
  const rank = rankOf(v);
  const mode = ctx.node.attrs.string('mode', 'constant');
  let pads: number[];
  let value = 0;
  if (ctx.opset < 11) {
    pads = ctx.node.attrs.ints('pads') ?? ctx.fail('pads are missing');
    value = ctx.node.attrs.float('value', 0);
  } else {
    pads = hostData(ctx, inputs[1], 'pads');
    if (inputs[2]) value = hostData(ctx, inputs[2], 'constant_value')[0] ?? 0;
  }
  let axes = inputs[3] ? hostData(ctx, inputs[3], 'axes').map((a) => normAxis(ctx, a, rank)) : range(rank);
  if (pads.length !== 2 * axes.length) ctx.fail(`${pads.length} pads for ${axes.length} axes`);
  if (pads.some((p) => !(p >= 0 && p <= 4096) || !Number.isInteger(p))) ctx.fail('pads must be whole numbers in 0–4096');
  const perAxis: [number, number][] = range(rank).map(() => [0, 0]);
  axes.forEach((a, i) => (perAxis[a] = [pads[i], pads[i + axes.length]]));
  const outSize = logicalShape(v).reduce((n, d, a) => n * (d + perAxis[a][0] + perAxis[a][1]), 1);
  if (outSize > 2 ** 28) ctx.fail(`padding to ${outSize} values is beyond what is supported`);
  axes = [];
  const physical = isNhwc(v) ? [0, 2, 3, 1].map((a) => perAxis[a]) : perAxis;
  const t = isNhwc(v) ? (v as { t: tf.Tensor }).t : logical(ctx, v);
  let y: tf.Tensor;
  if (mode === 'constant') y = tf.pad(t, physical, value);
  else if (mode === 'reflect') y = tf.mirrorPad(t, physical, 'reflect');
  else if (mode === 'edge') y = edgePad(t, physical);
  else ctx.fail(`mode "${mode}" is not supported (constant, reflect, edge)`);
  return [tensor(y, isNhwc(v))];
}

/** Pads by repeating each axis's first and last entries (differentiable: slices and concats). */
function edgePad(t: tf.Tensor, pads: [number, number][]): tf.Tensor {
  let y = t;
  pads.forEach(([before, after], axis) => {
    if (before === 0 && after === 0) return;
    const n = y.shape[axis];
    const edge = (start: number, count: number) => {
      const begin = y.shape.map((_, a) => (a === axis ? start : 0));
      const size = y.shape.map((d, a) => (a === axis ? 1 : d));
      const reps = y.shape.map((_, a) => (a === axis ? count : 1));
      return tf.tile(tf.slice(y, begin, size), reps);
    };
    const parts = [...(before ? [edge(0, before)] : []), y, ...(after ? [edge(n - 1, after)] : [])];
    y = tf.concat(parts, axis);
  });
  return y;
}

function cast(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const v = required(ctx, inputs, 0, 'input');
  const to = ctx.node.attrs.int('to', 0);
  const floats = to === DTYPE.FLOAT || to === DTYPE.DOUBLE || to === DTYPE.FLOAT16 || to === DTYPE.BFLOAT16;
  const bool = to === DTYPE.BOOL;
  const ints = [DTYPE.INT8, DTYPE.INT16, DTYPE.INT32, DTYPE.INT64, DTYPE.UINT8, DTYPE.UINT16, DTYPE.UINT32, DTYPE.UINT64].includes(to as 2);
  if (!floats && !bool && !ints) ctx.fail(`casting to element type ${to} is not supported`);
  if (v.kind === 'host') {
    const src = v.h.data;
    if (floats) return [host({ dtype: 'float32', shape: v.h.shape, data: Float32Array.from(src) })];
    // NaN (an unknown value during constant folding) stays NaN.
    const data = Float64Array.from(src, (x) => (Number.isNaN(x) ? NaN : bool ? (x !== 0 ? 1 : 0) : Math.trunc(x)));
    return [host({ dtype: bool ? 'bool' : 'int', shape: v.h.shape, data })];
  }
  const target = floats ? 'float32' : bool ? 'bool' : 'int32';
  return [tensor(v.t.dtype === target ? v.t : tf.cast(v.t, target), v.nhwc)];
}

export const SHAPE_OPS: Record<string, OpDef> = {
  Flatten: { run: flatten },
  Reshape: { run: reshape },
  Transpose: { run: transpose },
  Concat: { run: concat },
  Split: { run: split },
  Slice: { run: slice },
  Gather: { run: gather },
  Shape: { run: shapeOp },
  Unsqueeze: { run: unsqueeze },
  Squeeze: { run: squeeze },
  Constant: { run: (ctx) => constant(ctx) },
  Identity: { run: identity },
  Dropout: { run: dropout },
  Pad: { run: pad },
  Cast: { run: cast },
};
