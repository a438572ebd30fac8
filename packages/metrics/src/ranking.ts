import { XaiError } from '@xai/core';

/** An explicit order in which pixels are changed: flat row-major indices `y·W + x`, most salient first. */
export interface PixelOrder {
  order: ArrayLike<number> | BigInt64Array;
}

export function isPixelOrder(value: unknown): value is PixelOrder {
  return typeof value === 'object' && value !== null && 'order' in value && !('data' in value);
}

/**
 * All pixels by decreasing saliency. Ties are broken deterministically: by their place in
 * `tieOrder` when given (a checked permutation, e.g. the order the reference used), else the lower
 * pixel index (row-major) first. NaN values are ranked after every number.
 */
export function saliencyOrder(values: ArrayLike<number>, tieOrder?: Int32Array): Int32Array {
  const rank = new Int32Array(values.length);
  if (tieOrder) tieOrder.forEach((pixel, k) => (rank[pixel] = k));
  else rank.forEach((_, i) => (rank[i] = i));
  const order = Int32Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => {
    const nanA = Number.isNaN(values[a]);
    const nanB = Number.isNaN(values[b]);
    if (nanA !== nanB) return nanA ? 1 : -1;
    if (values[a] !== values[b] && !nanA) return values[a] > values[b] ? -1 : 1;
    return rank[a] - rank[b];
  });
  return order;
}

/** Validates an explicit order: a permutation of `0 … size−1`. Returns it as an Int32Array. */
export function checkPixelOrder(order: ArrayLike<number> | BigInt64Array, size: number): Int32Array {
  if (order.length !== size) {
    throw new XaiError(`The pixel order has ${order.length} entries; the model input has ${size} pixels and needs one entry each`);
  }
  const out = new Int32Array(size);
  const seen = new Uint8Array(size);
  for (let k = 0; k < size; k++) {
    const index = Number(order[k]);
    if (!Number.isInteger(index) || index < 0 || index >= size) {
      throw new XaiError(`The pixel order holds ${String(order[k])} at position ${k}; entries must be pixel indices in [0, ${size - 1}]`);
    }
    if (seen[index]) {
      throw new XaiError(`The pixel order lists pixel ${index} twice; it must be a permutation of 0 … ${size - 1}`);
    }
    seen[index] = 1;
    out[k] = index;
  }
  return out;
}
