import { XaiError, type InputSpec } from '@xai/core';
import { binaryMasks } from './masks/binary.js';
import { gaussianMasks } from './masks/gaussian.js';
import type { MaskOrder } from './masks/grid.js';
import type { MaskSource } from './masks/source.js';

export interface MaskOptions {
  /** `binary` (default) or `gaussian` to draw masks, or a given mask set (e.g. from a file). */
  masks?: 'binary' | 'gaussian' | MaskSource;
  /** Number of masks N; 4000 by default. */
  n?: number;
  /** Grid size s; 8 by default. */
  s?: number;
  /** Binary masks' keep probability; 0.5 by default. */
  p1?: number;
  /** Seed of the mask generator; 0 by default. */
  seed?: number;
  /** Order of the generator's draws: `reference` (NumPy's masks for a seed, the default) or `per-mask`. */
  maskOrder?: MaskOrder;
}

export const RISE_DEFAULTS = { n: 4000, s: 8, p1: 0.5, seed: 0 } as const;

/** The masks a RISE run uses, sized for the model and checked against it. */
export function maskSourceFor(input: InputSpec, options: MaskOptions): MaskSource {
  const masks = options.masks ?? 'binary';
  if (typeof masks === 'object' && masks !== null) {
    const extra = (['n', 's', 'p1', 'seed', 'maskOrder'] as const).filter((key) => options[key] !== undefined);
    if (extra.length > 0) {
      throw new XaiError(
        `${extra.join(', ')} describe generated masks, but a mask set was given; set them when making or loading the masks`,
      );
    }
    checkMaskSize(masks, input);
    return masks;
  }
  const common = {
    n: options.n ?? RISE_DEFAULTS.n,
    s: options.s ?? RISE_DEFAULTS.s,
    seed: options.seed ?? RISE_DEFAULTS.seed,
    order: options.maskOrder,
    height: input.height,
    width: input.width,
  };
  if (masks === 'binary') return binaryMasks({ ...common, p1: options.p1 ?? RISE_DEFAULTS.p1 });
  if (masks === 'gaussian') {
    if (options.p1 !== undefined) throw new XaiError('p1 applies to binary masks only; Gaussian masks are normalised by their mean');
    return gaussianMasks(common);
  }
  throw new XaiError(`masks: unknown kind ${JSON.stringify(masks)}; accepted: 'binary', 'gaussian', or a MaskSource`);
}

function checkMaskSize(masks: MaskSource, input: InputSpec): void {
  if (masks.height !== input.height || masks.width !== input.width) {
    throw new XaiError(
      `The masks are ${masks.height}×${masks.width} but the model's input is ${input.height}×${input.width}; ` +
        'masks must have the model input size',
    );
  }
}
