import type * as tf from '@tensorflow/tfjs-core';
import type { Classifier, LongWorkOptions, SaliencyMap } from '@xai/core';
import { absCam } from '@xai/abs-cam';
import { binaryMasks, gaussianMasks, rise, type MaskSource } from '@xai/rise';
import type { ExplainResult, MaskSample, Requests } from '../protocol.js';
import { riseClasses } from '../logic/class-choice.js';

export type ExplainRequest = Requests['explain']['request'];

/** Runs one method on the preprocessed image; the asked-for class's map comes first. */
export async function explain(
  model: Classifier,
  image: tf.Tensor4D,
  ranked: readonly number[],
  request: ExplainRequest,
  work: LongWorkOptions,
): Promise<ExplainResult> {
  const started = performance.now();
  const { method, classIndex, params } = request;
  let maps: SaliencyMap[];
  let masks: MaskSample | undefined;
  if (method === 'rise' || method === 'rise-gaussian') {
    const kind = method === 'rise' ? 'binary' : 'gaussian';
    const { n, s, p1, seed, scores, batchSize } = params.rise;
    const classes = riseClasses(classIndex, ranked, request.allClasses);
    maps = await rise(model, image, {
      masks: kind,
      n,
      s,
      seed,
      ...(kind === 'binary' ? { p1 } : {}),
      scores,
      classes,
      batchSize,
      ...work,
    });
    const source =
      kind === 'binary' ? binaryMasks({ n, s, p1, seed, ...size(model) }) : gaussianMasks({ n, s, seed, ...size(model) });
    masks = firstMasks(source, request.maskSamples);
  } else {
    const { layer, batchSize } = params.absCam;
    const map = await absCam(model, image, {
      variant: method === 'abs-cam-init' ? 'init' : 'final',
      layer: layer || undefined,
      target: classIndex,
      batchSize,
      ...work,
    });
    maps = [map];
  }
  return { method, maps, masks, seconds: (performance.now() - started) / 1000 };
}

function size(model: Classifier): { height: number; width: number } {
  return { height: model.input.height, width: model.input.width };
}

/** The first masks of the same seeded set RISE used (every pass over a source yields the same masks). */
function firstMasks(source: MaskSource, count: number): MaskSample | undefined {
  const shown = Math.min(count, source.count);
  if (shown <= 0) return undefined;
  return { data: source.open().next(shown), count: shown, height: source.height, width: source.width };
}
