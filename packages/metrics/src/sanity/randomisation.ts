import type * as tf from '@tensorflow/tfjs-core';
import { XaiError, throwIfAborted, topClasses, type Classifier, type LongWorkOptions, type SaliencyMap } from '@xai/core';
import { mapSimilarity, type Explainer, type Similarity } from './similarity.js';

/** A model whose weights a sanity check can re-initialise (see `Classifier.randomisedCopy`). */
export type RandomisableClassifier = Classifier & Required<Pick<Classifier, 'parameterLayers' | 'randomisedCopy'>>;

export function isRandomisable(model: Classifier): model is RandomisableClassifier {
  return typeof model.parameterLayers === 'function' && typeof model.randomisedCopy === 'function';
}

export interface RandomisationStep extends Similarity {
  /** The layer re-initialised at this step (the step's `layers` are it and every one before). */
  layer: string;
  /** Every layer re-initialised at this step, output first. */
  layers: string[];
  map: SaliencyMap;
}

export interface RandomisationResult {
  classIndex: number;
  seed: number;
  original: SaliencyMap;
  /** Step k re-initialised the k layers nearest the output. */
  steps: RandomisationStep[];
}

export interface RandomisationOptions extends LongWorkOptions {
  /** How many layers of the cascade to go through, from the output (default: every layer with weights). */
  layers?: number;
  /** Seeds the re-initialisation (default 0). */
  seed?: number;
  /** The class explained at every step (default: the original model's top class). */
  classIndex?: number;
}

/**
 * The cascade's layers, output first: the model's layers with weights, reversed, the first
 * `count` of them. Refuses a model that cannot re-initialise its weights, and a count out of range.
 */
export function cascadeLayers(model: Classifier, count?: number): string[] {
  if (!isRandomisable(model)) {
    throw new XaiError(
      `The model parameter randomisation test re-initialises weights; this model (engine ${model.engine}) cannot (tfjs LayersModels and GraphModels and ONNX models can)`,
    );
  }
  const all = model.parameterLayers().slice().reverse();
  if (all.length === 0) throw new XaiError('The model has no layer with weights to re-initialise');
  if (count === undefined) return all;
  if (!Number.isInteger(count) || count < 1 || count > all.length) {
    throw new XaiError(`The cascade takes 1 to ${all.length} layers (the model's layers with weights), got ${count}`);
  }
  return all.slice(0, count);
}

/**
 * Model parameter randomisation (Adebayo et al. 2018, cascading): the map of the original model,
 * then, for k = 1, 2, …, the map of a copy whose k layers nearest the output have their weights
 * re-initialised (seeded; see `shuffledWeights` in @xai/core), each compared with the original by
 * Spearman's rank correlation and SSIM. A method whose maps depend on the learned weights loses
 * the similarity quickly. The model itself is never changed; each copy is disposed after its map.
 */
export async function modelParameterRandomisation(
  model: Classifier,
  image: tf.Tensor4D,
  explain: Explainer,
  options: RandomisationOptions = {},
): Promise<RandomisationResult> {
  const { seed = 0, signal, onProgress } = options;
  const cascade = cascadeLayers(model, options.layers);
  const randomisable = model as RandomisableClassifier;
  throwIfAborted(signal);
  const classIndex = options.classIndex ?? (await topClasses(model, image, 1))[0];
  const work = { batchSize: options.batchSize, signal };
  const total = cascade.length + 1;
  const original = await explain(model, image, classIndex, work);
  onProgress?.({ stage: 'randomise', done: 1, total });
  const steps: RandomisationStep[] = [];
  for (let k = 1; k <= cascade.length; k++) {
    throwIfAborted(signal);
    const layers = cascade.slice(0, k);
    const copy = await randomisable.randomisedCopy(layers, { seed });
    let map: SaliencyMap;
    try {
      map = await explain(copy, image, classIndex, work);
    } finally {
      copy.dispose();
    }
    steps.push({ layer: layers[k - 1], layers, map, ...mapSimilarity(original, map) });
    onProgress?.({ stage: 'randomise', done: k + 1, total });
  }
  return { classIndex, seed, original, steps };
}

