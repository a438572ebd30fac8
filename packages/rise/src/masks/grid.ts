import { Random, XaiError } from '@xai/core';
import { mirrorLinearSampling, upsampleCrop } from '../upsample.js';
import type { MaskKind, MaskSource, MaskStream } from './source.js';

export interface GridMaskOptions {
  /** Number of masks N. */
  n: number;
  /** Grid size s: each mask starts as an s×s grid. */
  s: number;
  /** Mask size, normally the model's input size. */
  height: number;
  width: number;
  seed: number;
  /** How the random draws are ordered; `reference` by default. */
  order?: MaskOrder;
}

/**
 * `reference`: the reference code's order (all N grids, then each mask's offsets), so a seed gives
 * NumPy's masks, but mask i depends on N. `per-mask`: each mask's grid and then its offsets, so
 * mask i depends only on the seed and i, and a larger N extends a smaller one (what a stopping
 * rule needs).
 */
export type MaskOrder = 'reference' | 'per-mask';
export const MASK_ORDERS: readonly MaskOrder[] = ['reference', 'per-mask'];

export interface GridMaskKind {
  kind: MaskKind;
  /** Draws one grid cell. */
  drawCell(random: Random): number;
  /** The mean to normalise by, given the measured mean of all masks. */
  normalizingMean(measuredMean: number): number;
  params: Record<string, unknown>;
}

/**
 * Masks made as SPEC.md says: an s×s grid of random cells, upsampled to (s+1)·cell with mirror-edge
 * bilinear sampling, then cropped at a random offset in [0, cell). In the `reference` order the
 * draws come as in the reference code (all N grids, then the row and column offsets of each mask)
 * so that a seed gives the masks NumPy's `RandomState(seed)` gives there; two generators over the
 * same seed keep that order while streaming: one draws grids, the other starts past the N·s² grid
 * draws. In the `per-mask` order one generator draws each mask's grid, then its offsets.
 */
export function gridMasks(options: GridMaskOptions, kind: GridMaskKind): MaskSource {
  const { n, s, height, width, seed } = checkGridOptions(options);
  const order = checkOrder(options.order ?? 'reference');
  new Random(seed); // validates the seed now rather than at the first batch
  const cellRows = Math.ceil(height / s);
  const cellCols = Math.ceil(width / s);
  const rows = mirrorLinearSampling(s, (s + 1) * cellRows);
  const cols = mirrorLinearSampling(s, (s + 1) * cellCols);
  const cellsPerGrid = s * s;

  const open = (): MaskStream => {
    const grids = new Random(seed);
    let offsets: Random | undefined;
    const maskSums = new Float64Array(n);
    let drawn = 0;
    const grid = new Float32Array(cellsPerGrid);
    return {
      next(count) {
        if (drawn + count > n) throw new XaiError(`Asked for masks ${drawn}–${drawn + count - 1} of a set of ${n}`);
        if (!offsets) offsets = order === 'per-mask' ? grids : skipGrids(seed, n * cellsPerGrid, kind);
        const out = new Float32Array(count * height * width);
        for (let i = 0; i < count; i++) {
          for (let c = 0; c < cellsPerGrid; c++) grid[c] = kind.drawCell(grids);
          const dy = offsets.integer(cellRows);
          const dx = offsets.integer(cellCols);
          maskSums[drawn + i] = upsampleCrop(grid, s, s, rows, cols, { dy, dx, height, width }, out, i * height * width);
        }
        drawn += count;
        return out;
      },
      normalizingMean(count = drawn) {
        if (count < 1 || count > drawn) throw new XaiError(`The mean of the first ${count} masks was asked for, but ${drawn} have been drawn`);
        let sum = 0;
        for (let i = 0; i < count; i++) sum += maskSums[i];
        return kind.normalizingMean(sum / (count * height * width));
      },
    };
  };

  return {
    kind: kind.kind,
    count: n,
    height,
    width,
    params: { n, s, seed, maskOrder: order, ...kind.params },
    open,
  };
}

function skipGrids(seed: number, cells: number, kind: GridMaskKind): Random {
  const random = new Random(seed);
  for (let i = 0; i < cells; i++) kind.drawCell(random);
  return random;
}

function checkOrder(order: MaskOrder): MaskOrder {
  if (!MASK_ORDERS.includes(order)) {
    throw new XaiError(`Unknown mask order ${JSON.stringify(order)}; accepted: ${MASK_ORDERS.join(', ')}`);
  }
  return order;
}

function checkGridOptions(options: GridMaskOptions): GridMaskOptions {
  const { n, s, height, width } = options;
  if (!Number.isInteger(n) || n < 1) {
    throw new XaiError(`The number of masks n must be a whole number ≥ 1, got ${n}`);
  }
  for (const [name, size] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(size) || size < 1) throw new XaiError(`Mask ${name} must be a whole number ≥ 1, got ${size}`);
  }
  const smaller = Math.min(height, width);
  if (!Number.isInteger(s) || s < 2 || s > smaller) {
    throw new XaiError(
      `The grid size s must be a whole number from 2 to the image's smaller side (${smaller} for ${height}×${width}), got ${s}`,
    );
  }
  return options;
}
