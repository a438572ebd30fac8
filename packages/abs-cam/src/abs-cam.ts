import * as tf from '@tensorflow/tfjs-core';
import {
  checkBatchSize,
  DEFAULT_BATCH_SIZE,
  runBatched,
  saliencyMap,
  scoped,
  throwIfAborted,
  XaiError,
  type Classifier,
  type LayerGradient,
  type SaliencyMap,
  type WhiteBoxClassifier,
} from '@xai/core';
import { channelMasks, channelWeights, initMap, maskImage, weightedMaskSum } from './maps.js';
import type { AbsCamOptions, AbsCamRunOptions } from './options.js';
import { checkImage, chooseClass, chooseLayer, requireWhiteBox, topClass, type ChosenClass, type ChosenLayer } from './target.js';

/** Abs-CAM's initial map: `norm(up(Σ_k mean|∂y_c/∂A_k| · A_k))`, in [0, 1] at the input size. */
export async function absCamInit(model: Classifier, image: tf.Tensor, options: AbsCamOptions = {}): Promise<SaliencyMap> {
  const run = await prepare(model, image, options);
  const map = await scoped(() =>
    withLayerPass(run, (pass) => initMap(pass.activations, pass.gradient, inputSize(model))),
  );
  return toSaliencyMap(map, 'abs-cam-init', run, {});
}

/**
 * Abs-CAM's final map: each weighted activation map, upsampled and normalised, masks the input;
 * `L = ReLU(Σ_k |y_c(x ⊙ M_k)| · M_k)`, at its raw scale (use `normalizedMap` to display it).
 * The K' masked forward passes run in batches of `batchSize`, with progress and cancellation.
 */
export async function absCamFinal(model: Classifier, image: tf.Tensor, options: AbsCamOptions = {}): Promise<SaliencyMap> {
  const batchSize = checkBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  const run = await prepare(model, image, options);
  const map = await scoped(() =>
    withLayerPass(run, async (pass) => {
      const weights = channelWeights(pass.gradient);
      const size = inputSize(model);
      const x = asBatch(run.image);
      const classIndex = run.target.index;
      let total = tf.keep(tf.zeros(size)) as tf.Tensor2D;
      try {
        await runBatched(
          pass.activations.shape[3],
          async ({ start, end }) => {
            const masks = channelMasks(pass.activations, weights, size, start, end);
            const logits = await model.predict(maskImage(x, masks));
            const scores = tf.abs(tf.reshape(tf.slice(logits, [0, classIndex], [end - start, 1]), [-1])) as tf.Tensor1D;
            return weightedMaskSum(scores, masks);
          },
          (partial) => {
            const previous = total;
            total = tf.keep(tf.add(previous, partial));
            previous.dispose();
          },
          { batchSize, onProgress: options.onProgress, signal: options.signal, stage: 'abs-cam-final' },
        );
        return tf.relu(total);
      } finally {
        total.dispose();
      }
    }),
  );
  return toSaliencyMap(map, 'abs-cam-final', run, { batchSize });
}

/** `absCamInit` or `absCamFinal`, chosen by `variant`. */
export function absCam(model: Classifier, image: tf.Tensor, options: AbsCamRunOptions): Promise<SaliencyMap> {
  if (options.variant === 'init') return absCamInit(model, image, options);
  if (options.variant === 'final') return absCamFinal(model, image, options);
  return Promise.reject(
    new XaiError(`Unknown Abs-CAM variant "${String(options.variant)}"; accepted: "init", "final"`),
  );
}

interface Prepared {
  model: WhiteBoxClassifier;
  /** The caller's image, `[1,H,W,C]` or `[H,W,C]` (not owned). */
  image: tf.Tensor;
  layer: ChosenLayer;
  target: ChosenClass;
}

/** Checks everything the caller gave before any heavy work; finds the top class if none was named. */
async function prepare(model: Classifier, image: tf.Tensor, options: AbsCamOptions): Promise<Prepared> {
  const whiteBox = requireWhiteBox(model);
  checkImage(model, image);
  const layer = chooseLayer(whiteBox, options.layer);
  const named = options.target === undefined ? undefined : chooseClass(model, options.target);
  throwIfAborted(options.signal);
  const target = named ?? (await topClassOf(whiteBox, image));
  throwIfAborted(options.signal);
  return { model: whiteBox, image, layer, target };
}

async function topClassOf(model: Classifier, image: tf.Tensor): Promise<ChosenClass> {
  const logits = await scoped(() => model.predict(asBatch(image)));
  try {
    return await topClass(model, logits);
  } finally {
    logits.dispose();
  }
}

/**
 * Runs the forward + backward pass at the chosen layer, hands activations and gradient to `use`,
 * then disposes them (adapters may `tf.keep` them, so a scope alone would not free them).
 */
async function withLayerPass<T>(run: Prepared, use: (pass: LayerGradient) => Promise<T> | T): Promise<T> {
  const pass = await run.model.activationsAndGradient(asBatch(run.image), run.layer.name, run.target.index);
  try {
    for (const [what, t] of [['activations', pass.activations], ['gradient', pass.gradient]] as const) {
      if (t.rank !== 4 || t.shape[0] !== 1) {
        throw new XaiError(
          `Layer "${run.layer.name}" gave ${what} of shape [${t.shape.join(', ')}]; Abs-CAM needs a [1, h, w, channels] feature map`,
        );
      }
    }
    return await use(pass);
  } finally {
    pass.activations.dispose();
    pass.gradient.dispose();
    pass.logits.dispose();
  }
}

function asBatch(image: tf.Tensor): tf.Tensor4D {
  return image.rank === 4 ? (image as tf.Tensor4D) : (tf.expandDims(image, 0) as tf.Tensor4D);
}

function inputSize(model: Classifier): [number, number] {
  return [model.input.height, model.input.width];
}

/** Reads the map tensor into a SaliencyMap (disposing it) and records how it was made. */
async function toSaliencyMap(
  map: tf.Tensor2D,
  method: string,
  run: Prepared,
  extra: Record<string, unknown>,
): Promise<SaliencyMap> {
  try {
    const [height, width] = map.shape;
    return saliencyMap({
      data: Float32Array.from(await map.data()),
      height,
      width,
      classIndex: run.target.index,
      className: run.target.name,
      method,
      params: {
        engine: run.model.engine,
        layer: run.layer.name,
        layerShape: run.layer.shape,
        layerChosenBy: run.layer.isDefault ? 'default' : 'caller',
        target: run.target.index,
        targetChosenBy: run.target.isDefault ? 'top-1' : 'caller',
        ...extra,
      },
    });
  } finally {
    map.dispose();
  }
}
