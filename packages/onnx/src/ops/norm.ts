import * as tf from '@tensorflow/tfjs-core';
import type { Value } from '../ir.js';
import { logical, normAxis, required, tensor, type OpContext, type OpDef } from './context.js';

/**
 * LayerNormalization (opset 17): normalised over the axes from `axis` to the last, then scaled and
 * shifted. Only the first output (Y) is computed; Mean and InvStdDev are refused.
 */
function layerNormalization(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  if (ctx.node.outputs.slice(1).some(Boolean)) ctx.fail('the Mean and InvStdDev outputs are not supported');
  const x = logical(ctx, required(ctx, inputs, 0, 'X'));
  const axis = normAxis(ctx, ctx.node.attrs.int('axis', -1), x.rank);
  const eps = ctx.node.attrs.float('epsilon', 1e-5);
  const axes = Array.from({ length: x.rank - axis }, (_, i) => axis + i);
  const { mean, variance } = tf.moments(x, axes, true);
  let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  const scale = inputs[1];
  if (scale) y = tf.mul(y, logical(ctx, scale));
  const bias = inputs[2];
  if (bias) y = tf.add(y, logical(ctx, bias));
  return [tensor(y)];
}

export const NORM_OPS: Record<string, OpDef> = {
  LayerNormalization: { run: layerNormalization },
};
