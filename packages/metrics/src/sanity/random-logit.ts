import type * as tf from '@tensorflow/tfjs-core';
import { Random, XaiError, throwIfAborted, topClasses, type Classifier, type SaliencyMap } from '@xai/core';
import type { RandomisationOptions } from './randomisation.js';
import { mapSimilarity, type Explainer, type Similarity } from './similarity.js';

export interface RandomLogitResult extends Similarity {
  classIndex: number;
  /** The other class, drawn uniformly among the rest with the seed. */
  otherClass: number;
  seed: number;
  original: SaliencyMap;
  map: SaliencyMap;
}

/**
 * The random-logit test (Sixt et al. 2020): the map of the top class (or `classIndex`) against the
 * map of a seeded random other class, by Spearman's correlation and SSIM. A method that explains
 * the class, not the image, gives dissimilar maps.
 */
export async function randomLogitTest(
  model: Classifier,
  image: tf.Tensor4D,
  explain: Explainer,
  options: Omit<RandomisationOptions, 'layers'> = {},
): Promise<RandomLogitResult> {
  const { seed = 0, signal, onProgress } = options;
  if (model.numClasses < 2) throw new XaiError(`The random-logit test needs a model of at least 2 classes; this one has ${model.numClasses}`);
  throwIfAborted(signal);
  const classIndex = options.classIndex ?? (await topClasses(model, image, 1))[0];
  const otherClass = otherClassOf(classIndex, model.numClasses, seed);
  const work = { batchSize: options.batchSize, signal };
  const original = await explain(model, image, classIndex, work);
  onProgress?.({ stage: 'random logit', done: 1, total: 2 });
  throwIfAborted(signal);
  const map = await explain(model, image, otherClass, work);
  onProgress?.({ stage: 'random logit', done: 2, total: 2 });
  return { classIndex, otherClass, seed, original, map, ...mapSimilarity(original, map) };
}

/** A class other than `classIndex`, uniform among the `numClasses − 1` others, from the seed. */
export function otherClassOf(classIndex: number, numClasses: number, seed: number): number {
  // Random(seed).integer(numClasses − 1), skipping classIndex, as NumPy's RandomState(seed).randint would.
  const draw = new Random(seed).integer(numClasses - 1);
  return draw >= classIndex ? draw + 1 : draw;
}
