import type * as tf from '@tensorflow/tfjs-core';
import { resolveTargets, type Classifier } from '@xai/core';

/**
 * Which classes get a map: the top class of the intact image (default), the top k, one class, a
 * list, or every class (core's `Targets`, by index).
 */
export type ClassSelection = 'top' | { top: number } | number | readonly number[] | 'all';

/** The class indices a selection names, in the order the maps are returned. */
export async function resolveClasses(model: Classifier, image: tf.Tensor4D, selection: ClassSelection = 'top'): Promise<number[]> {
  return (await resolveTargets(model, image, selection)).map((t) => t.index);
}
