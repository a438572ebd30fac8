import { XaiError } from '@xai/core';
import { gridMasks, type GridMaskOptions } from './grid.js';
import type { MaskSource } from './source.js';

export interface BinaryMaskOptions extends GridMaskOptions {
  /** Probability that a grid cell is kept (1), in (0, 1]. */
  p1: number;
}

/** RISE's original masks: grid cells are 1 with probability p1, else 0; normalised by N·p1. */
export function binaryMasks(options: BinaryMaskOptions): MaskSource {
  const p1 = checkP1(options.p1);
  return gridMasks(options, {
    kind: 'binary',
    drawCell: (random) => (random.uniform() < p1 ? 1 : 0),
    normalizingMean: () => p1,
    params: { p1 },
  });
}

export function checkP1(p1: number): number {
  if (typeof p1 !== 'number' || !(p1 > 0 && p1 <= 1)) {
    throw new XaiError(`The keep probability p1 must be a number in (0, 1], got ${p1}`);
  }
  return p1;
}
