import { XaiError } from '@xai/core';
import type { HostTensor } from '../host.js';
import type { Attributes } from '../ir.js';
import type { Emitter } from './emitter.js';

/** A node of the forward graph, as the backward recipes read it. */
export interface ForwardNode {
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attributes;
}

/**
 * What a backward recipe gets: the forward node, the gradients reaching its outputs, and a way to
 * write ONNX nodes. Gradients are value names in the graph being built.
 */
export interface BackwardContext {
  readonly node: ForwardNode;
  readonly emit: Emitter;
  /** The gradient reaching output `index` (undefined: none reaches it). */
  gradOut(index?: number): string | undefined;
  /** True when input `index` lies on a path from a requested value and so needs a gradient. */
  wants(index: number): boolean;
  /**
   * The value's shape at the batch unit (one image, or the model's fixed batch), as the shape pass
   * measured it. Axes other than the batch are the same at every batch size.
   */
  shape(name: string): number[];
  /** The value when it is a constant (an initializer, a Constant node, folded shape arithmetic). */
  constant(name: string): HostTensor | undefined;
  /** Output `index` of the forward node, added when the export left it out (MaxPool's Indices). */
  forwardOutput(index: number): string;
  /** Throws an error that names the node. */
  fail(message: string): never;
}

/** Gradients for the node's inputs, by position (undefined: none, or not wanted). */
export type BackwardRecipe = (ctx: BackwardContext) => (string | undefined)[];

export function describe(node: ForwardNode): string {
  return `${node.op} node "${node.name || node.outputs[0]}"`;
}

export function recipeError(node: ForwardNode, message: string): XaiError {
  return new XaiError(`the gradient graph cannot go back through the ${describe(node)}: ${message}`);
}

/**
 * `g` (shaped like `out`, a value or its static shape) summed over the axes along which `x` was broadcast to make `out`, and
 * laid out as `x`. Axes are found from the static shapes: where `x` has 1 (or no axis) and `out`
 * has more. Both depend on the image, so their batch axes scale alike.
 */
export function unbroadcast(ctx: BackwardContext, g: string, x: string, out: string | readonly number[]): string {
  const xs = ctx.constant(x)?.shape ?? ctx.shape(x);
  const os = typeof out === 'string' ? ctx.shape(out) : out;
  const lead = os.length - xs.length;
  const axes: number[] = [];
  for (let a = 0; a < os.length; a++) {
    const xd = a < lead ? 1 : xs[a - lead];
    if (a < lead || (xd === 1 && os[a] !== 1)) axes.push(a);
  }
  if (axes.length === 0 && lead === 0) return g;
  const summed = axes.length > 0 ? ctx.emit.reduceSum(g, axes, true) : g;
  return ctx.emit.reshapeLike(summed, x);
}

/** A constant input's values, or a failure naming what had to be constant. */
export function constantInput(ctx: BackwardContext, index: number, what: string): HostTensor {
  const name = ctx.node.inputs[index];
  const value = name ? ctx.constant(name) : undefined;
  if (!value) ctx.fail(`its ${what} must be a constant`);
  return value;
}

/** An axis attribute or input as a non-negative axis of a rank-`rank` tensor. */
export function normaliseAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
