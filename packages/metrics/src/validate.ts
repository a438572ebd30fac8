import { XaiError, type Classifier, type SaliencyMap } from '@xai/core';

/** Checks a saliency map for a model: the model's input size, not empty, not all NaN. */
export function checkMap(model: Classifier, map: SaliencyMap, what = 'saliency map'): SaliencyMap {
  return checkMapSize(map, model.input, 'the model input', what);
}

/** Checks a saliency map against the size of `other` (described as `otherName`): equal size, not empty, not all NaN. */
export function checkMapSize(
  map: SaliencyMap,
  other: { height: number; width: number },
  otherName: string,
  what = 'saliency map',
): SaliencyMap {
  const { height, width } = other;
  if (!(map.height > 0 && map.width > 0) || map.data.length === 0) {
    throw new XaiError(`The ${what} is empty (${map.height}×${map.width}); it must have the size of ${otherName}, ${height}×${width}`);
  }
  if (map.height !== height || map.width !== width) {
    throw new XaiError(
      `The ${what} is ${map.height}×${map.width} but ${otherName} is ${height}×${width}; resize the map to ${height}×${width} first`,
    );
  }
  if (map.data.length !== height * width) {
    throw new XaiError(`The ${what} claims ${height}×${width} but holds ${map.data.length} values; it needs ${height * width}`);
  }
  if (map.data.every((v) => Number.isNaN(v))) {
    throw new XaiError(`The ${what} is all NaN; it needs at least one number`);
  }
  return map;
}

/** Pixels changed per step: a whole number ≥ 1. */
export function checkStep(step: number): number {
  if (!Number.isInteger(step) || step < 1) {
    throw new XaiError(`step must be a whole number of pixels ≥ 1, got ${step}`);
  }
  return step;
}
