import { XaiError, type MethodDescriptor, type ParamSpec } from '@xai/core';
import { RISE_DEFAULTS } from './mask-options.js';
import { MASK_ORDERS, type MaskOrder } from './masks/grid.js';
import type { MaskSource } from './masks/source.js';
import { rise, type ScoreKind } from './rise.js';

const PAPER = {
  title: 'RISE: Randomized Input Sampling for Explanation of Black-box Models',
  authors: 'Petsiuk, Das, Saenko',
  year: 2018,
  url: 'https://arxiv.org/abs/1806.07421',
};

const N: ParamSpec = { name: 'n', type: 'int', default: RISE_DEFAULTS.n, min: 1, max: 1_000_000, help: 'number of masks' };
const S: ParamSpec = { name: 's', type: 'int', default: RISE_DEFAULTS.s, min: 2, max: 256, help: 'grid size (cells per side)' };
const P1: ParamSpec = {
  name: 'p1', type: 'number', default: RISE_DEFAULTS.p1, min: 0, exclusiveMin: true, max: 1, help: 'keep probability of a grid cell',
};
const SEED: ParamSpec = { name: 'seed', type: 'int', default: RISE_DEFAULTS.seed, min: 0, max: 0xffffffff, help: 'seed of the mask generator' };
const SCORES: ParamSpec = {
  name: 'scores', type: 'choice', default: 'prob', choices: ['prob', 'logit'], help: 'weight masks by softmax probabilities or raw logits',
};

const UNTIL_STABLE: ParamSpec = {
  name: 'untilStable', type: 'number', default: 0, min: 0, max: 1,
  help: "stop once the map's relative noise (its noise ÷ its contrast, as variances) is below this: its Pearson correlation with the exact map is then about 1/√(1 + ε) (0: off; n is the ceiling)",
};
const MASK_ORDER: ParamSpec = {
  name: 'maskOrder', type: 'choice', default: 'auto', choices: ['auto', ...MASK_ORDERS],
  help: "order of the generator's draws: reference (the reference code's NumPy masks for a seed), per-mask (mask i depends only on seed and i), auto (per-mask with until-stable, else reference)",
};

type Drawn = { n: number; s: number; seed: number; scores: ScoreKind; p1?: number; untilStable: number; maskOrder: 'auto' | MaskOrder };

function riseMethod(id: string, label: string, masks: 'binary' | 'gaussian', params: readonly ParamSpec[]): MethodDescriptor {
  return {
    id,
    label,
    paper: PAPER,
    box: 'black',
    layers: 'none',
    everyClassAtOnce: true,
    params,
    check: (_model, params) => {
      const { untilStable, maskOrder } = params as Drawn;
      if (untilStable > 0 && maskOrder === 'reference') {
        throw new XaiError(`${id}: until-stable needs mask order per-mask (or auto): in the reference order every mask depends on n`);
      }
    },
    run: (model, image, params, context) => {
      const { n, s, seed, scores, p1, untilStable, maskOrder } = params as Drawn;
      return rise(model, image, {
        masks, n, s, seed, scores, ...(masks === 'binary' ? { p1 } : {}),
        ...(untilStable > 0 ? { untilStable } : {}),
        ...(maskOrder === 'auto' ? {} : { maskOrder }),
        classes: context.targets.map((t) => t.index),
        batchSize: context.batchSize, onProgress: context.onProgress, signal: context.signal,
      });
    },
  };
}

/** RISE with binary grid masks (the paper's). */
export const riseBinary = riseMethod('rise', 'RISE', 'binary', [N, S, P1, SEED, SCORES, UNTIL_STABLE, MASK_ORDER]);
/** RISE with Gaussian grid masks, normalised by the masks' mean. */
export const riseGaussian = riseMethod('rise-gaussian', 'RISE (Gaussian masks)', 'gaussian', [N, S, SEED, SCORES, UNTIL_STABLE, MASK_ORDER]);

export const RISE_METHODS: readonly MethodDescriptor[] = [riseBinary, riseGaussian];

/**
 * RISE over a given mask set (e.g. read from `.npy`): the masks fix N, s, p1 and the seed, so
 * only the scores remain a parameter. Same id as the drawn kind it replaces.
 */
export function riseWithMasks(masks: MaskSource): MethodDescriptor {
  const base = masks.kind === 'gaussian' ? riseGaussian : riseBinary;
  return {
    ...base,
    params: [SCORES],
    run: (model, image, params, context) =>
      rise(model, image, {
        masks,
        scores: params.scores as ScoreKind,
        classes: context.targets.map((t) => t.index),
        batchSize: context.batchSize, onProgress: context.onProgress, signal: context.signal,
      }),
  };
}
