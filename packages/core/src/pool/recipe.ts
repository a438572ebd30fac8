import type { Classifier } from '../classifier.js';

/**
 * How to build a model again somewhere else (a worker): call the function `export` of the ES module
 * at `module` with `args`, on the tfjs backend `backend`. Everything in it survives structured
 * cloning, so it can be posted to a worker as it is.
 */
export interface ModelRecipe {
  /** URL of an ES module a worker can import (a `file:` URL in Node). */
  module: string;
  /** Name of the loader the module exports; it returns (a promise of) a Classifier. */
  export: string;
  /** The loader's arguments, structured-cloneable; they ask for no workers of their own. */
  args: unknown[];
  /** The tfjs backend the model ran on where it was loaded (`wasm`, `cpu`, …). */
  backend: string;
}

const recipes = new WeakMap<object, ModelRecipe>();

/** Remembers how `model` can be rebuilt; loaders call this on what they load. Returns the model. */
export function withRecipe<T extends Classifier>(model: T, recipe: ModelRecipe): T {
  recipes.set(model, recipe);
  return model;
}

/** How `model` can be rebuilt in a worker, or undefined for a model built in memory. */
export function recipeOf(model: Classifier): ModelRecipe | undefined {
  return recipes.get(model);
}
