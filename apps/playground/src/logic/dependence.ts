import type { EvaluateResult } from '../protocol.js';

/** Below this spread of the class probability over image, blur and black, the output ignores the image. */
export const FLAT_SPREAD = 0.02;

/**
 * A warning when the model's output barely depends on the image: the curves run from the blurred
 * image (insertion's start) and the black image (deletion's end) to the image itself, so their
 * spread is how much the class probability can move at all. Undefined when it moves enough.
 */
export function dependenceWarning(curves: EvaluateResult): string | undefined {
  const scores = [...curves.insertion.scores, ...curves.deletion.scores].filter(Number.isFinite);
  if (scores.length === 0) return undefined;
  const spread = Math.max(...scores) - Math.min(...scores);
  if (spread >= FLAT_SPREAD) return undefined;
  return (
    `The model's output barely depends on the image: the class probability moves by only ${spread.toFixed(4)} between the image, ` +
    'a blurred copy and a black image. An untrained model, the wrong model, or the wrong preprocessing? Maps and AUCs say little here.'
  );
}
