import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier, LongWorkOptions, SaliencyMap } from '@xai/core';
import { deletion, insertion, type CurveResult } from '@xai/metrics';
import type { CurveSummary, EvaluateResult } from '../protocol.js';

/** Insertion and Deletion of one map, tracking the map's class. */
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
  return { insertion: summary(inserted), deletion: summary(deleted) };
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
