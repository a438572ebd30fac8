import { linearClassifier } from '@xai/testing';

/**
 * The oracle for analytic tests: two classes on an H×W×1 input; class 0's logit is `gain` times the
 * mean of the decisive pixels, class 1's is 0. Only the decisive pixels matter.
 */
export function oracleClassifier(height: number, width: number, decisive: (y: number, x: number) => boolean, gain = 8) {
  const count = countWhere(height, width, decisive);
  const weights = new Float32Array(height * width * 2);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) if (decisive(y, x)) weights[(y * width + x) * 2] = gain / count;
  return linearClassifier({ height, width, channels: 1 }, weights);
}

function countWhere(height: number, width: number, test: (y: number, x: number) => boolean): number {
  let n = 0;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (test(y, x)) n++;
  return n;
}
