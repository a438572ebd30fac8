import { XaiError } from '@xai/core';
import { gridMasks, type GridMaskOptions } from './grid.js';
import type { MaskSource } from './source.js';

export interface GaussianMaskOptions extends GridMaskOptions {
  /** Mean of a grid cell before clipping; 0.5 by default. */
  mean?: number;
  /** Standard deviation of a grid cell before clipping; 0.25 by default. */
  sd?: number;
}

/**
 * The Gaussian variant: grid cells are normal draws clipped to [0, 1]; normalised by N times the
 * measured mean of all masks.
 */
export function gaussianMasks(options: GaussianMaskOptions): MaskSource {
  const mean = options.mean ?? 0.5;
  const sd = options.sd ?? 0.25;
  if (!Number.isFinite(mean)) throw new XaiError(`The Gaussian cell mean must be a finite number, got ${mean}`);
  if (!Number.isFinite(sd) || sd < 0) throw new XaiError(`The Gaussian cell sd must be a finite number ≥ 0, got ${sd}`);
  return gridMasks(options, {
    kind: 'gaussian',
    // Cells are stored as float32, as the reference's float32 grids are.
    drawCell: (random) => Math.fround(Math.min(1, Math.max(0, mean + sd * random.normal()))),
    normalizingMean: (measured) => measured,
    params: { mean, sd },
  });
}
