import { resizeReference } from '@xai/testing';

/**
 * SPEC.md's Abs-CAM written with plain loops and float64, independent of the tensor code, for
 * checking it. Maps are row-major; activations and gradients are `[h][w][K']` flattened (NHWC).
 */

export type Forward = (image: Float64Array) => number[];


export function normalizeReference(map: Float64Array): Float64Array {
  const min = Math.min(...map);
  const shifted = map.map((v) => v - min);
  const max = Math.max(...shifted);
  return shifted.map((v) => v / (max + 1e-8));
}

export function weightsReference(gradient: ArrayLike<number>, k: number): Float64Array {
  const w = new Float64Array(k);
  const cells = gradient.length / k;
  for (let i = 0; i < gradient.length; i++) w[i % k] += Math.abs(gradient[i]) / cells;
  return w;
}

function channelMap(activations: ArrayLike<number>, k: number, channel: number, scale: number): Float64Array {
  const cells = activations.length / k;
  const out = new Float64Array(cells);
  for (let p = 0; p < cells; p++) out[p] = scale * activations[p * k + channel];
  return out;
}

export function initReference(
  activations: ArrayLike<number>,
  gradient: ArrayLike<number>,
  layer: { h: number; w: number; k: number },
  size: { H: number; W: number },
): Float64Array {
  const weights = weightsReference(gradient, layer.k);
  const cam = new Float64Array(layer.h * layer.w);
  for (let c = 0; c < layer.k; c++) channelMap(activations, layer.k, c, weights[c]).forEach((v, p) => (cam[p] += v));
  return normalizeReference(resizeReference(cam, layer.h, layer.w, size.H, size.W));
}

/** `image` is NHWC `[H][W][C]`; `forward` gives the logits of one image. */
export function finalReference(
  activations: ArrayLike<number>,
  gradient: ArrayLike<number>,
  layer: { h: number; w: number; k: number },
  size: { H: number; W: number; C: number },
  image: ArrayLike<number>,
  classIndex: number,
  forward: Forward,
): Float64Array {
  const weights = weightsReference(gradient, layer.k);
  const total = new Float64Array(size.H * size.W);
  for (let c = 0; c < layer.k; c++) {
    const mask = normalizeReference(resizeReference(channelMap(activations, layer.k, c, weights[c]), layer.h, layer.w, size.H, size.W));
    const masked = new Float64Array(image.length);
    for (let i = 0; i < image.length; i++) masked[i] = image[i] * mask[Math.floor(i / size.C)];
    const score = Math.abs(forward(masked)[classIndex]);
    mask.forEach((m, p) => (total[p] += score * m));
  }
  return total.map((v) => Math.max(v, 0));
}
