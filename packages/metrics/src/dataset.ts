import type * as tf from '@tensorflow/tfjs-core';
import { throwIfAborted, XaiError, type Classifier, type LongWorkOptions, type SaliencyMap } from '@xai/core';
import { meanCurve, trapezoidAuc } from './auc.js';
import { DEFAULT_SUBSTRATES, deletion, insertion, type CurveMetric, type CurveResult } from './insertion-deletion.js';
import type { PixelOrder } from './ranking.js';
import { describeSubstrate, type Substrate } from './substrate.js';
import { checkStep } from './validate.js';

export interface DatasetItem {
  /** One preprocessed NHWC image `[1, H, W, C]`, owned by the caller. */
  image: tf.Tensor4D;
  saliency: SaliencyMap | PixelOrder;
  /** Default: the top class of the intact image. */
  classIndex?: number;
  /** Carried into the result, e.g. a file name. */
  id?: string;
}

export interface DatasetCurveOptions extends LongWorkOptions {
  /** Default both, Insertion first. */
  metrics?: readonly CurveMetric[];
  /** Pixels changed per step. Default: the input width. */
  step?: number;
  insertionSubstrate?: Substrate;
  deletionSubstrate?: Substrate;
  /** For progress events when `items` is an iterable of unknown length. */
  total?: number;
}

export interface ImageCurve {
  id?: string;
  classIndex: number;
  classSource: 'top-class' | 'given';
  scores: number[];
  auc: number;
}

export interface DatasetCurve {
  metric: CurveMetric;
  protocol: { step: number; steps: number; inputSize: [number, number]; substrate: string; score: 'softmax' };
  count: number;
  perImage: ImageCurve[];
  /** The curves averaged point by point. */
  meanCurve: number[];
  /** AUC of the mean curve (the reference's data-set number). */
  aucOfMeanCurve: number;
  /** Mean of the per-image AUCs (equal to the above, up to rounding, since the AUC is linear). */
  meanAuc: number;
}

export type DatasetCurves = Partial<Record<CurveMetric, DatasetCurve>>;

/**
 * Insertion and/or Deletion over a data set: per-image curves and AUCs, the mean curve and the AUC
 * of the mean curve; plain JSON. Items are processed one after another; an iterable is pulled only
 * once the previous item is finished, so a generator may dispose an image after yielding it.
 */
export async function evaluateCurves(
  model: Classifier,
  items: Iterable<DatasetItem> | AsyncIterable<DatasetItem>,
  options: DatasetCurveOptions = {},
): Promise<DatasetCurves> {
  const metrics = checkMetrics(options.metrics ?? ['insertion', 'deletion']);
  const step = checkStep(options.step ?? model.input.width);
  const substrates: Record<CurveMetric, Substrate> = {
    insertion: options.insertionSubstrate ?? DEFAULT_SUBSTRATES.insertion,
    deletion: options.deletionSubstrate ?? DEFAULT_SUBSTRATES.deletion,
  };
  const total = options.total ?? (Array.isArray(items) ? items.length : Number.NaN);
  const perImage: Record<CurveMetric, ImageCurve[]> = { insertion: [], deletion: [] };
  let done = 0;
  for await (const item of items) {
    throwIfAborted(options.signal);
    for (const metric of metrics) {
      const run = metric === 'insertion' ? insertion : deletion;
      const result = await run(model, item.image, item.saliency, {
        step,
        substrate: substrates[metric],
        classIndex: item.classIndex,
        batchSize: options.batchSize,
        signal: options.signal,
        onProgress: options.onProgress,
      });
      perImage[metric].push(imageCurve(result, item.id));
    }
    done++;
    options.onProgress?.({ stage: 'images', done, total });
  }
  if (done === 0) throw new XaiError('The data set is empty; evaluateCurves needs at least one image and map');

  const { height, width } = model.input;
  const out: DatasetCurves = {};
  for (const metric of metrics) {
    const curves = perImage[metric];
    const mean = meanCurve(curves.map((c) => c.scores));
    out[metric] = {
      metric,
      protocol: {
        step,
        steps: mean.length - 1,
        inputSize: [height, width],
        substrate: describeSubstrate(substrates[metric]),
        score: 'softmax',
      },
      count: curves.length,
      perImage: curves,
      meanCurve: mean,
      aucOfMeanCurve: trapezoidAuc(mean),
      meanAuc: curves.reduce((sum, c) => sum + c.auc, 0) / curves.length,
    };
  }
  return out;
}

function imageCurve(result: CurveResult, id: string | undefined): ImageCurve {
  return {
    ...(id === undefined ? {} : { id }),
    classIndex: result.classIndex,
    classSource: result.protocol.classSource,
    scores: result.scores,
    auc: result.auc,
  };
}

function checkMetrics(metrics: readonly CurveMetric[]): readonly CurveMetric[] {
  const accepted: CurveMetric[] = ['insertion', 'deletion'];
  if (metrics.length === 0 || metrics.some((m) => !accepted.includes(m)) || new Set(metrics).size !== metrics.length) {
    throw new XaiError(`metrics must list 'insertion' and/or 'deletion' once each, got ${JSON.stringify(metrics)}`);
  }
  return metrics;
}
