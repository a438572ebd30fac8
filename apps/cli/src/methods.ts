import type * as tf from '@tensorflow/tfjs-core';
import { absCam } from '@xai/abs-cam';
import { XaiError, type Classifier, type LongWorkOptions, type SaliencyMap } from '@xai/core';
import { rise, type MaskSource, type ScoreKind } from '@xai/rise';
import { type OptionSpec, type ParsedArgs, UsageError, choiceOption, intOption, numberOption, stringOption } from './command.js';

export const METHODS = ['rise', 'rise-gaussian', 'abs-cam-init', 'abs-cam-final'] as const;
export type MethodName = (typeof METHODS)[number];

export const METHOD_OPTIONS: Record<string, OptionSpec> = {
  n: { type: 'string', value: 'N', description: 'RISE: number of masks', default: '4000' },
  s: { type: 'string', value: 'S', description: 'RISE: grid size', default: '8' },
  p1: { type: 'string', value: 'P', description: 'RISE: keep probability of binary masks', default: '0.5' },
  seed: { type: 'string', value: 'SEED', description: 'RISE: seed of the mask generator', default: '0' },
  scores: { type: 'string', value: 'prob|logit', description: 'RISE: weight masks by softmax probabilities or raw logits', default: 'prob' },
  layer: { type: 'string', value: 'NAME', description: 'Abs-CAM: the layer (default: the last feature map before pooling)' },
  class: { type: 'string', value: 'top|INDEX|NAME', description: 'the class to explain', default: 'top' },
  'batch-size': { type: 'string', value: 'B', description: 'images per forward batch', default: '32' },
};

export interface MethodSettings {
  n: number;
  s: number;
  p1: number;
  seed: number;
  scores: ScoreKind;
  layer?: string;
  batchSize: number;
  /** Masks given by --masks, replacing generation. */
  masks?: MaskSource;
}

export function methodSettings(args: ParsedArgs): MethodSettings {
  const p1 = numberOption(args, 'p1', 0.5);
  if (!(p1 > 0 && p1 <= 1)) throw new UsageError(`--p1 must be in (0, 1], got "${args.values.p1}"`);
  return {
    n: intOption(args, 'n', 4000),
    s: intOption(args, 's', 8, 2),
    p1,
    seed: intOption(args, 'seed', 0, 0),
    scores: choiceOption(args, 'scores', ['prob', 'logit'] as const, 'prob'),
    layer: stringOption(args, 'layer'),
    batchSize: intOption(args, 'batch-size', 32),
  };
}

/** `top`, a class index or a class name → the class index (undefined for top). */
export function resolveClassArg(value: string | undefined, model: Classifier): number | undefined {
  if (value === undefined || value === 'top') return undefined;
  if (/^\d+$/.test(value)) {
    const index = Number(value);
    if (index >= model.numClasses) {
      throw new XaiError(`--class ${index} is out of range: the model has ${model.numClasses} classes (0–${model.numClasses - 1})`);
    }
    return index;
  }
  const index = model.classNames?.indexOf(value) ?? -1;
  if (index < 0) {
    const names = model.classNames?.length ? model.classNames.join(', ') : 'none (use an index)';
    throw new XaiError(`--class "${value}" is not a class of the model; its classes: ${names}`);
  }
  return index;
}

/**
 * Runs one method. RISE returns a map for every class (the same cost as one); Abs-CAM one map
 * for the target class.
 */
export async function runMethod(
  method: MethodName,
  model: Classifier,
  image: tf.Tensor4D,
  settings: MethodSettings,
  target: number | undefined,
  work: LongWorkOptions,
): Promise<SaliencyMap[]> {
  const long = { ...work, batchSize: settings.batchSize };
  if (method === 'rise' || method === 'rise-gaussian') {
    const masks = settings.masks ?? (method === 'rise' ? 'binary' : 'gaussian');
    const generation = settings.masks
      ? {}
      : { n: settings.n, s: settings.s, seed: settings.seed, ...(method === 'rise' ? { p1: settings.p1 } : {}) };
    return rise(model, image, { ...long, masks, ...generation, scores: settings.scores, classes: 'all' });
  }
  const variant = method === 'abs-cam-init' ? 'init' : 'final';
  return [await absCam(model, image, { ...long, variant, layer: settings.layer, target })];
}
