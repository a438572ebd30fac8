import * as tf from '@tensorflow/tfjs-core';
import { XaiError, topClasses, type Classifier } from '@xai/core';

/**
 * Which classes get a map: the top class of the intact image (default), the top k, one class, a
 * list, or every class.
 */
export type ClassSelection = 'top' | { top: number } | number | readonly number[] | 'all';

/** The class indices a selection names, in the order the maps are returned. */
export async function resolveClasses(
  model: Classifier,
  image: tf.Tensor4D,
  selection: ClassSelection = 'top',
): Promise<number[]> {
  const k = model.numClasses;
  if (selection === 'all') return Array.from({ length: k }, (_, i) => i);
  if (selection === 'top') return topClasses(model, image, 1);
  if (typeof selection === 'number') return [checkClass(selection, k)];
  if (Array.isArray(selection)) {
    if (selection.length === 0) throw new XaiError('classes: the list of classes is empty; give at least one class index');
    return selection.map((c: number) => checkClass(c, k));
  }
  if (typeof selection === 'object' && selection !== null && 'top' in selection) {
    const top = selection.top;
    if (!Number.isInteger(top) || top < 1 || top > k) {
      throw new XaiError(`classes: top must be a whole number from 1 to ${k} (the model's classes), got ${top}`);
    }
    return topClasses(model, image, top);
  }
  throw new XaiError(
    `classes: unsupported selection ${JSON.stringify(selection)}; accepted: 'top', { top: k }, a class index, a list of indices, 'all'`,
  );
}

function checkClass(index: number, numClasses: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= numClasses) {
    throw new XaiError(`classes: ${index} is not a class index of this model; accepted: 0 to ${numClasses - 1}`);
  }
  return index;
}
