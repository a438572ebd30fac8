import { DEFAULT_BATCH_SIZE, checkBatchSize, type NpyArray } from '@xai/core';
import type { MaskSource } from './source.js';

/** The masks' shape in a `.npy` file: N×1×H×W, as RISE code in PyTorch layout exchanges them. */
export function maskFileShape(source: MaskSource): number[] {
  return [source.count, 1, source.height, source.width];
}

/**
 * Every mask of a source as one float32 N×1×H×W array (N·H·W·4 bytes; to write large sets to
 * disk batch by batch use `writeMasksFile` from `@xai/rise/node`).
 */
export function masksToNpy(source: MaskSource, options: { batchSize?: number } = {}): NpyArray {
  const data = new Float32Array(source.count * source.height * source.width);
  forEachMaskBatch(source, options.batchSize, (batch, start) => data.set(batch, start * source.height * source.width));
  return { dtype: 'float32', shape: maskFileShape(source), data };
}

/** Draws all masks of a source in batches, in order. */
export function forEachMaskBatch(
  source: MaskSource,
  batchSize: number | undefined,
  visit: (masks: Float32Array, start: number) => void,
): void {
  const size = checkBatchSize(batchSize ?? DEFAULT_BATCH_SIZE);
  const stream = source.open();
  for (let start = 0; start < source.count; start += size) {
    visit(stream.next(Math.min(size, source.count - start)), start);
  }
}
