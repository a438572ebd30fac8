import * as tf from '@tensorflow/tfjs-core';
import type { Value } from '../ir.js';
import { logical, normAxis, required, tensor, type OpContext, type OpDef } from './context.js';

/**
 * LayerNormalization (opset 17): normalised over the axes from `axis` to the last, then scaled and
 * shifted. The optional outputs Mean and InvStdDev keep the normalised axes as ones.
 */
function layerNormalization(ctx: OpContext, inputs: (Value | undefined)[]): Value[] {
  const x = logical(ctx, required(ctx, inputs, 0, 'X'));
  const axis = normAxis(ctx, ctx.node.attrs.int('axis', -1), x.rank);
  const eps = ctx.node.attrs.float('epsilon', 1e-5);
  const axes = Array.from({ length: x.rank - axis }, (_, i) => axis + i);
  const { mean, variance } = tf.moments(x, axes, true);
  const invStdDev = tf.rsqrt(tf.add(variance, eps));
  let y = tf.mul(tf.sub(x, mean), invStdDev);
  const scale = inputs[1];
  if (scale) y = tf.mul(y, logical(ctx, scale));
  const bias = inputs[2];
  if (bias) y = tf.add(y, logical(ctx, bias));
  const outputs = [tensor(y)];
  if (ctx.node.outputs[1] || ctx.node.outputs[2]) outputs.push(tensor(mean));
  if (ctx.node.outputs[2]) outputs.push(tensor(invStdDev));
  return outputs;
}

export const NORM_OPS: Record<string, OpDef> = {
  LayerNormalization: { run: layerNormalization },
};
