import type * as tf from '@tensorflow/tfjs-core';
import { checkImage, classIndex as checkClass, type Classifier, type LongWorkOptions, type SaliencyMap } from '@xai/core';
import { trapezoidAuc } from './auc.js';
import { checkPixelOrder, isPixelOrder, saliencyOrder, type PixelOrder } from './ranking.js';
import { classCurve, scoreRevealing, topClass } from './reveal.js';
import { describeSubstrate, makeSubstrate, type Substrate } from './substrate.js';
import { checkMap, checkStep } from './validate.js';

export type CurveMetric = 'insertion' | 'deletion';

export interface CurveOptions extends LongWorkOptions {
  /** Pixels changed per step. Default: the input width (224 at 224×224, as in the reference). */
  step?: number;
  /** Default: the reference blur for Insertion, `'zeros'` for Deletion. */
  substrate?: Substrate;
  /** The class whose probability is tracked. Default: the top class of the intact image. */
  classIndex?: number;
}

/** Everything needed to compare two results: recorded beside the numbers. */
export interface CurveProtocol {
  metric: CurveMetric;
  /** Pixels changed per step. */
  step: number;
  /** n = ceil(H·W / step); the curve has n + 1 points. */
  steps: number;
  inputSize: [number, number];
  /** Deletion's end image or Insertion's start image, e.g. `blur(klen=11, sigma=5)`. */
  substrate: string;
  classIndex: number;
  /** `top-class`: the arg-max of the softmax on the intact image; `given`: chosen by the caller. */
  classSource: 'top-class' | 'given';
  /** `saliency`: by decreasing saliency, ties to the lower pixel index; `explicit`: an order given by the caller. */
  order: 'saliency' | 'explicit';
  /** What each curve point is: the softmax probability of the class. */
  score: 'softmax';
  /** The explanation's method and class, when a saliency map was given. */
  map?: { method: string; classIndex: number };
}

export interface CurveResult {
  metric: CurveMetric;
  /** n + 1 class probabilities, both ends included. */
  scores: number[];
  /** Trapezoid rule on [0, 1]. */
  auc: number;
  classIndex: number;
  protocol: CurveProtocol;
}

export const DEFAULT_SUBSTRATES: Record<CurveMetric, Substrate> = { insertion: 'blur', deletion: 'zeros' };

/**
 * Insertion: start from the substrate (by default the blurred image) and reveal the image's pixels
 * in order of decreasing saliency, `step` at a time, recording the class probability. A faithful
 * map gives a high AUC. `image` is one preprocessed NHWC image `[1, H, W, C]`.
 */
export function insertion(
  model: Classifier,
  image: tf.Tensor4D,
  saliency: SaliencyMap | PixelOrder,
  options: CurveOptions = {},
): Promise<CurveResult> {
  return curve('insertion', model, image, saliency, options);
}

/**
 * Deletion: start from the image and replace its pixels by the substrate (by default zeros, the
 * mean colour) in order of decreasing saliency. A faithful map gives a low AUC.
 */
export function deletion(
  model: Classifier,
  image: tf.Tensor4D,
  saliency: SaliencyMap | PixelOrder,
  options: CurveOptions = {},
): Promise<CurveResult> {
  return curve('deletion', model, image, saliency, options);
}

async function curve(
  metric: CurveMetric,
  model: Classifier,
  image: tf.Tensor4D,
  saliency: SaliencyMap | PixelOrder,
  options: CurveOptions,
): Promise<CurveResult> {
  checkImage(model, image, metric === 'insertion' ? 'Insertion' : 'Deletion', { unbatched: false });
  const { height, width } = model.input;
  const step = checkStep(options.step ?? width);
  const givenClass = options.classIndex === undefined ? undefined : checkClass(model, options.classIndex);
  const order = pixelOrderOf(model, saliency);
  const substrate = options.substrate ?? DEFAULT_SUBSTRATES[metric];
  const description = describeSubstrate(substrate);

  const other = makeSubstrate(substrate, image);
  let scores;
  try {
    const [start, end] = metric === 'insertion' ? [other, image] : [image, other];
    scores = await scoreRevealing(model, start, end, order, step, { ...options, stage: metric });
  } finally {
    other.dispose();
  }
  const intactRow = metric === 'insertion' ? scores.points - 1 : 0;
  const classIndex = givenClass ?? topClass(scores, intactRow);
  const values = classCurve(scores, classIndex);
  return {
    metric,
    scores: values,
    auc: trapezoidAuc(values),
    classIndex,
    protocol: {
      metric,
      step,
      steps: scores.points - 1,
      inputSize: [height, width],
      substrate: description,
      classIndex,
      classSource: givenClass === undefined ? 'top-class' : 'given',
      order: isPixelOrder(saliency) ? 'explicit' : 'saliency',
      score: 'softmax',
      ...(isPixelOrder(saliency) ? {} : { map: { method: saliency.method, classIndex: saliency.classIndex } }),
    },
  };
}

/** The order pixels are changed in: the explicit one, or the map's ranking (see `saliencyOrder`). */
export function pixelOrderOf(model: Classifier, saliency: SaliencyMap | PixelOrder): Int32Array {
  const size = model.input.height * model.input.width;
  if (isPixelOrder(saliency)) return checkPixelOrder(saliency.order, size);
  return saliencyOrder(checkMap(model, saliency).data);
}
