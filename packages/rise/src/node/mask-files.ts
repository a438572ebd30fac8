import { DEFAULT_BATCH_SIZE, checkBatchSize, npyHeader } from '@xai/core';
import { readNpyFile, withAtomicFile } from '@xai/core/node';
import { masksFromNpy, type LoadedMaskOptions } from '../masks/loaded.js';
import { maskFileShape } from '../masks/npy.js';
import type { MaskSource } from '../masks/source.js';

/** Reads masks from a `.npy` file (N×1×H×W or N×H×W, float32 or float64). */
export async function readMasksFile(path: string, options: Omit<LoadedMaskOptions, 'name'> = {}): Promise<MaskSource> {
  return masksFromNpy(await readNpyFile(path), { ...options, name: path });
}

/**
 * Writes every mask of a source to a float32 N×1×H×W `.npy` file, batch by batch, so memory stays
 * bounded by the batch whatever N is. The file is written whole or not at all: a killed run leaves
 * the previous file in place.
 */
export async function writeMasksFile(path: string, source: MaskSource, options: { batchSize?: number } = {}): Promise<void> {
  const batchSize = checkBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  await withAtomicFile(path, async (file) => {
    await file.write(npyHeader('float32', maskFileShape(source)));
    const stream = source.open();
    for (let start = 0; start < source.count; start += batchSize) {
      await file.write(littleEndianBytes(stream.next(Math.min(batchSize, source.count - start))));
    }
  });
}

function littleEndianBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}
