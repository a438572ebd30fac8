import type * as tf from '@tensorflow/tfjs-core';
import { Random, type Classifier, type LongWorkOptions, type SaliencyMap } from '@xai/core';
import { deletion, insertion, type CurveResult } from '@xai/metrics';
import type { CurveSummary, EvaluateResult } from '../protocol.js';

/** The seed of the random map every AUC is shown beside: the same baseline on every run. */
export const RANDOM_MAP_SEED = 0;

/** A map of seeded uniform noise the size of `map`: what an uninformative method would give. */
export function randomMap(map: SaliencyMap): SaliencyMap {
  const random = new Random(RANDOM_MAP_SEED);
  const data = Float32Array.from({ length: map.height * map.width }, () => random.uniform());
  return { ...map, data, method: 'random', params: { seed: RANDOM_MAP_SEED }, attribution: undefined };
}

/**
 * Insertion and Deletion of one map, tracking the map's class, and of a random map on the same
 * image (the AUC a method must beat to say anything).
 */
export async function evaluate(
  model: Classifier,
  image: tf.Tensor4D,
  map: SaliencyMap,
  step: number | undefined,
  work: LongWorkOptions,
): Promise<EvaluateResult> {
  const options = { ...work, step, classIndex: map.classIndex };
  const inserted = await insertion(model, image, map, options);
  const deleted = await deletion(model, image, map, options);
  const noise = randomMap(map);
  const randomInserted = await insertion(model, image, noise, options);
  const randomDeleted = await deletion(model, image, noise, options);
  return {
    insertion: summary(inserted),
    deletion: summary(deleted),
    random: { insertion: randomInserted.auc, deletion: randomDeleted.auc, seed: RANDOM_MAP_SEED },
  };
}

function summary(result: CurveResult): CurveSummary {
  return {
    scores: result.scores,
    auc: result.auc,
    classIndex: result.classIndex,
    step: result.protocol.step,
    substrate: result.protocol.substrate,
  };
}
