import * as tf from '@tensorflow/tfjs-core';
import {
  checkBatchSize,
  checkImage,
  classIndex as checkClass,
  DEFAULT_BATCH_SIZE,
  normalizedMap,
  scoped,
  throwIfAborted,
  XaiError,
  type Classifier,
  type LongWorkOptions,
  type SaliencyMap,
} from '@xai/core';
import { checkMap } from './validate.js';

export interface ConfidenceItem {
  /** One preprocessed NHWC image `[1, H, W, C]`, owned by the caller. */
  image: tf.Tensor4D;
  map: SaliencyMap;
  /** Default: the top class of the intact image. */
  classIndex?: number;
  id?: string;
}

export interface ConfidenceResult {
  id?: string;
  classIndex: number;
  classSource: 'top-class' | 'given';
  /** Y: the class probability on the intact image. */
  intact: number;
  /** O: the class probability on the image multiplied by the map rescaled to [0, 1]. */
  explained: number;
  /** max(0, Y − O) / Y. */
  drop: number;
  /** O > Y. */
  increased: boolean;
}

export interface ConfidenceSummary {
  count: number;
  /** Grad-CAM++'s Average Drop, in percent: 100 · mean of max(0, Y − O) / Y. */
  averageDrop: number;
  /** Grad-CAM++'s Increase in Confidence, in percent: 100 · share of images with O > Y. */
  increaseInConfidence: number;
  protocol: { map: 'min-max to [0, 1], NaN → 0'; space: 'normalised input'; score: 'softmax' };
  perImage: ConfidenceResult[];
}

/** Y and O for one image and its map (Grad-CAM++'s definitions; the map is rescaled to [0, 1]). */
export async function confidenceChange(
  model: Classifier,
  image: tf.Tensor4D,
  map: SaliencyMap,
  options: { classIndex?: number } = {},
): Promise<ConfidenceResult> {
  const [result] = (await averageDropAndIncrease(model, [{ image, map, classIndex: options.classIndex }])).perImage;
  return result;
}

/**
 * Average Drop and Increase in Confidence over a data set. `batchSize` images go through the model
 * at a time (twice: intact, then explained). An iterable is pulled one batch at a time.
 */
export async function averageDropAndIncrease(
  model: Classifier,
  items: Iterable<ConfidenceItem> | AsyncIterable<ConfidenceItem>,
  options: LongWorkOptions & { total?: number } = {},
): Promise<ConfidenceSummary> {
  const batchSize = checkBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  const total = options.total ?? (Array.isArray(items) ? items.length : Number.NaN);
  const perImage: ConfidenceResult[] = [];
  let chunk: ConfidenceItem[] = [];
  const flush = async () => {
    throwIfAborted(options.signal);
    perImage.push(...(await scoreChunk(model, chunk)));
    chunk = [];
    options.onProgress?.({ stage: 'confidence', done: perImage.length, total });
  };
  for await (const item of items) {
    checkItem(model, item, perImage.length + chunk.length);
    chunk.push(item);
    if (chunk.length === batchSize) await flush();
  }
  if (chunk.length > 0) await flush();
  if (perImage.length === 0) throw new XaiError('The data set is empty; averageDropAndIncrease needs at least one image and map');
  const count = perImage.length;
  return {
    count,
    averageDrop: (100 * perImage.reduce((sum, r) => sum + r.drop, 0)) / count,
    increaseInConfidence: (100 * perImage.filter((r) => r.increased).length) / count,
    protocol: { map: 'min-max to [0, 1], NaN → 0', space: 'normalised input', score: 'softmax' },
    perImage,
  };
}

async function scoreChunk(model: Classifier, chunk: ConfidenceItem[]): Promise<ConfidenceResult[]> {
  const { height, width } = model.input;
  const [intact, explained] = await scoped(async () => {
    const images = tf.concat(chunk.map((item) => item.image));
    const maps = tf.tensor4d(
      Float32Array.from(chunk.flatMap((item) => Array.from(unitMap(item.map)))),
      [chunk.length, height, width, 1],
    );
    const probabilities = async (batch: tf.Tensor4D) => (await tf.softmax(await model.predict(batch)).data()) as Float32Array;
    return [await probabilities(images), await probabilities(tf.mul(images, maps) as tf.Tensor4D)];
  });
  const k = model.numClasses;
  return chunk.map((item, b) => {
    const classIndex = item.classIndex ?? topClass(intact.subarray(b * k, (b + 1) * k));
    const y = intact[b * k + classIndex];
    const o = explained[b * k + classIndex];
    return {
      ...(item.id === undefined ? {} : { id: item.id }),
      classIndex,
      classSource: item.classIndex === undefined ? 'top-class' : 'given',
      intact: y,
      explained: o,
      drop: y > 0 ? Math.max(0, y - o) / y : 0,
      increased: o > y,
    };
  });
}

function unitMap(map: SaliencyMap): Float32Array {
  const unit = normalizedMap(map);
  for (let i = 0; i < unit.length; i++) if (Number.isNaN(unit[i])) unit[i] = 0;
  return unit;
}

function topClass(row: Float32Array): number {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  return best;
}

function checkItem(model: Classifier, item: ConfidenceItem, index: number): void {
  const what = `item ${index}`;
  checkImage(model, item.image, `The confidence metrics (${what})`, { unbatched: false });
  checkMap(model, item.map, `saliency map of ${what}`);
  if (item.classIndex !== undefined) checkClass(model, item.classIndex);
}
