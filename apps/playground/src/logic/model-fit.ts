import { XaiError, type Classifier } from '@xai/core';

const MAX_SIDE = 1024;

/**
 * Refuses models the app cannot explain, with a message that says why: an image input of 1 or 3
 * channels and a sensible size, and at least two classes.
 */
export function checkModelFits(model: Pick<Classifier, 'input' | 'numClasses'>): void {
  const { height, width, channels } = model.input;
  if (channels !== 1 && channels !== 3) {
    throw new XaiError(`The model's input has ${channels} channels; the playground explains image models with 1 (grey) or 3 (RGB) channels`);
  }
  if (!(height >= 8 && width >= 8 && height <= MAX_SIDE && width <= MAX_SIDE)) {
    throw new XaiError(`The model's input is ${height}×${width}; the playground accepts sides from 8 to ${MAX_SIDE} pixels`);
  }
  if (!(model.numClasses >= 2)) {
    throw new XaiError(`The model has ${model.numClasses} output(s); a classifier with at least 2 classes is needed`);
  }
}
