import * as tf from '@tensorflow/tfjs-core';
import type { Value } from '../ir.js';
import { hostBinary } from './host-math.js';
import { TO_NHWC, hostData, isNhwc, logical, logicalShape, required, tensor, type OpContext, type OpDef } from './context.js';

/** Applies `f` to the tensor, keeping its layout. */
function unary(f: (x: tf.Tensor, ctx: OpContext, inputs: (Value | undefined)[]) => tf.Tensor): OpDef {
  return {
    run(ctx, inputs) {
      const v = required(ctx, inputs, 0, 'X');
      if (v.kind === 'host') return [tensor(f(ctx.constant(v.h), ctx, inputs))];
      return [tensor(f(v.t, ctx, inputs), v.nhwc)];
    },
  };
}

/** An operand broadcast against an NHWC tensor: its logical shape padded to rank 4, then transposed. */
function asNhwcOperand(ctx: OpContext, v: Value): tf.Tensor {
  if (isNhwc(v)) return (v as { t: tf.Tensor }).t;
  const shape = logicalShape(v);
  if (shape.length > 4) ctx.fail(`cannot broadcast a ${shape.length}-D operand with a 4-D one`);
  const make = () => {
    const t = logical(ctx, v);
    const padded = shape.length === 4 ? t : tf.reshape(t, [...new Array<number>(4 - shape.length).fill(1), ...shape]);
    return tf.transpose(padded, TO_NHWC);
  };
  return v.kind === 'host' ? ctx.cached(v.h, make) : make();
}

type Binary = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

function binary(f: Binary, hostF: (a: number, b: number) => number, intF?: (a: number, b: number) => number): OpDef {
  return {
    run(ctx, inputs) {
      const a = required(ctx, inputs, 0, 'A');
      const b = required(ctx, inputs, 1, 'B');
      if (a.kind === 'host' && b.kind === 'host') {
        const ints = a.h.dtype !== 'float32' && b.h.dtype !== 'float32';
        return [{ kind: 'host', h: hostBinary(a.h, b.h, ints && intF ? intF : hostF, ints) }];
      }
      if ((isNhwc(a) || isNhwc(b)) && logicalShape(a).length <= 4 && logicalShape(b).length <= 4) {
        return [tensor(f(asNhwcOperand(ctx, a), asNhwcOperand(ctx, b)), true)];
      }
      const ta = logical(ctx, a), tb = logical(ctx, b);
      if (ta.dtype !== tb.dtype) ctx.fail(`operands have different types (${ta.dtype}, ${tb.dtype})`);
      return [tensor(f(ta, tb))];
    },
  };
}

function clipBounds(ctx: OpContext, inputs: (Value | undefined)[]): [number, number] {
  if (ctx.opset < 11) return [ctx.node.attrs.float('min', -3.4028234663852886e38), ctx.node.attrs.float('max', 3.4028234663852886e38)];
  const lo = inputs[1] ? hostData(ctx, inputs[1], 'min')[0] : -3.4028234663852886e38;
  const hi = inputs[2] ? hostData(ctx, inputs[2], 'max')[0] : 3.4028234663852886e38;
  return [lo, hi];
}

/**
 * Clip of integers with tfjs's minimum and maximum (tfjs-backend-wasm's ClipByValue reads int32
 * data as float32); bounds beyond int32 clip nothing.
 */
function clipInts(x: tf.Tensor, lo: number, hi: number): tf.Tensor {
  let y = x;
  if (lo > -(2 ** 31)) y = tf.maximum(y, tf.scalar(Math.ceil(lo), 'int32'));
  if (hi < 2 ** 31 - 1) y = tf.minimum(y, tf.scalar(Math.floor(hi), 'int32'));
  return y;
}

/**
 * Pow; a constant exponent of 2 or 0.5 (decomposed LayerNorm) runs as square or sqrt. The result
 * has the base's type: an integer base to a float exponent is truncated, as ONNX does.
 */
const pow: OpDef = {
  run(ctx, inputs) {
    const a = required(ctx, inputs, 0, 'X');
    const b = required(ctx, inputs, 1, 'Y');
    if (a.kind === 'host' && b.kind === 'host') {
      const ints = a.h.dtype !== 'float32';
      return [{ kind: 'host', h: hostBinary(a.h, b.h, ints ? (x, y) => Math.trunc(x ** y) : (x, y) => x ** y, ints) }];
    }
    if (logical(ctx, a).dtype === 'int32') {
      const base = logical(ctx, a), e = logical(ctx, b);
      // tfjs raises int32 to int32 powers exactly; a float exponent goes through float32.
      return [tensor(e.dtype === 'int32' ? tf.pow(base, e) : tf.cast(tf.pow(tf.cast(base, 'float32'), tf.cast(e, 'float32')), 'int32'))];
    }
    const exponent = b.kind === 'host' && b.h.data.length === 1 ? b.h.data[0] : undefined;
    const keep = a.kind === 'tensor' && a.nhwc && logicalShape(b).every((d) => d === 1);
    const base = keep ? (a as { t: tf.Tensor }).t : logical(ctx, a);
    if (exponent === 2) return [tensor(tf.square(base), keep)];
    if (exponent === 0.5) return [tensor(tf.sqrt(base), keep)];
    if (exponent === 1) return [tensor(base, keep)];
    const e = tf.cast(logical(ctx, b), 'float32');
    return [tensor(tf.pow(tf.cast(base, 'float32'), keep ? tf.reshape(e, []) : e), keep)];
  },
};

export const ELEMENTWISE_OPS: Record<string, OpDef> = {
  Relu: unary((x) => tf.relu(x)),
  Sigmoid: unary((x) => tf.sigmoid(x)),
  Tanh: unary((x) => tf.tanh(x)),
  Exp: unary((x) => tf.exp(x)),
  Sqrt: unary((x) => tf.sqrt(x)),
  Neg: unary((x) => tf.neg(x)),
  Erf: unary((x) => tf.erf(x)),
  LeakyRelu: unary((x, ctx) => tf.leakyRelu(x, ctx.node.attrs.float('alpha', 0.01))),
  Clip: unary((x, ctx, inputs) => {
    const [lo, hi] = clipBounds(ctx, inputs);
    if (x.dtype !== 'float32') return clipInts(x, lo, hi);
    return lo === 0 && hi === 6 ? tf.relu6(x) : tf.clipByValue(x, lo, hi);
  }),
  HardSigmoid: unary((x, ctx) =>
    tf.clipByValue(tf.add(tf.mul(x, ctx.node.attrs.float('alpha', 0.2)), ctx.node.attrs.float('beta', 0.5)), 0, 1),
  ),
  HardSwish: unary((x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6))),
  Add: binary(tf.add, (a, b) => a + b),
  Sub: binary(tf.sub, (a, b) => a - b),
  Mul: binary(tf.mul, (a, b) => a * b),
  Div: binary(tf.div, (a, b) => a / b, (a, b) => Math.trunc(a / b)),
  Pow: pow,
  Abs: unary((x) => tf.abs(x)),
  Reciprocal: unary((x) => tf.reciprocal(x)),
  Floor: unary((x) => tf.floor(x)),
  Ceil: unary((x) => tf.ceil(x)),
  Log: unary((x) => tf.log(x)),
  Gelu: unary((x, ctx) => gelu(x, ctx.node.attrs.string('approximate', 'none'))),
};

/** GELU (opset 20, and what some exporters fuse): exact with erf, or the tanh approximation. */
function gelu(x: tf.Tensor, approximate: string): tf.Tensor {
  if (approximate === 'tanh') {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
  }
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
}
