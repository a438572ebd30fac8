import type { BackwardRule } from '@xai/core';
import type { BackwardRecipe } from './context.js';
import { ELEMENTWISE_RECIPES } from './recipes/elementwise.js';
import { NN_RECIPES } from './recipes/nn.js';
import { SHAPE_RECIPES } from './recipes/shape.js';

/** The vector–Jacobian product of every differentiable operator of `SUPPORTED_OPS`. */
export const GRADIENT_RECIPES: Readonly<Record<string, BackwardRecipe>> = { ...ELEMENTWISE_RECIPES, ...NN_RECIPES, ...SHAPE_RECIPES };

/** Guided Backprop's ReLU: `ReLU(g) · [x > 0]`, the negative part of the gradient cut. */
const guidedRelu: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  return [e.passWhere(e.op('Greater', [ctx.node.inputs[0], e.scalar(0)]), e.op('Relu', [ctx.gradOut()!]))];
};

/**
 * A backward rule replaces the recipes of some operator types (Zennit's idea of mapping rules to
 * layers); every other operator keeps its gradient. DeepLIFT's rescale and the LRP rules are
 * further entries of this table.
 */
export const RULE_RECIPES: Readonly<Record<BackwardRule, Readonly<Record<string, BackwardRecipe>>>> = {
  gradient: {},
  guided: { Relu: guidedRelu },
};

/** The recipe for `op` under `rule`. */
export function recipeFor(rule: BackwardRule, op: string): BackwardRecipe | undefined {
  return RULE_RECIPES[rule][op] ?? GRADIENT_RECIPES[op];
}
