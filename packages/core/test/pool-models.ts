// Loaders that pool tests name in recipes: the in-thread "workers" import this module by URL.
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../src/classifier.js';
import { LayersClassifier } from '../src/models/layers-classifier.js';
import { withRecipe } from '../src/pool/recipe.js';
import { residualModel, seedWeights } from './models.js';

/** Batch sizes every model made here was asked to predict, in order (shared by the test and its workers). */
export function predictedRows(): number[] {
  const store = globalThis as { poolTestRows?: number[] };
  store.poolTestRows ??= [];
  return store.poolTestRows;
}

/** How a model made by `loadResidual` behaves. */
export type Behaviour = 'ok' | 'fail-load' | 'fail-predict';

/** The residual test model with seeded weights; `behaviour` makes the loader or its predict throw. */
export async function loadResidual(seed: number, behaviour: Behaviour = 'ok'): Promise<Classifier> {
  if (behaviour === 'fail-load') throw new Error('the weights file is gone');
  const layers = residualModel();
  await seedWeights(layers, seed);
  const model = new LayersClassifier(layers, { classNames: ['a', 'b', 'c'] });
  const predict = model.predict.bind(model);
  model.predict = async (batch: tf.Tensor4D) => {
    predictedRows().push(batch.shape[0]);
    if (behaviour === 'fail-predict') throw new Error('out of memory in the kernel');
    return predict(batch);
  };
  return withRecipe(model, { module: import.meta.url, export: 'loadResidual', args: [seed, behaviour], backend: tf.getBackend() });
}
