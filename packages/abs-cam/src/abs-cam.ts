import * as tf from '@tensorflow/tfjs-core';
import {
  explainWith,
  distinctRows,
  maskedBatch,
  predictMasked,
  runOverlapped,
  saliencyMap,
  XaiError,
  type Classifier,
  type LayerGradient,
  type LayerHandle,
  type MethodContext,
  type MethodDescriptor,
  type ResolvedTarget,
  type SaliencyMap,
  type WhiteBoxClassifier,
} from '@xai/core';
import { channelMasks, channelWeights, initMap, weightedChannels, weightedMaskSum } from './maps.js';
import type { AbsCamOptions, AbsCamRunOptions } from './options.js';

const PAPER = {
  title: 'Abs-CAM: a gradient optimization interpretable approach for explanation of convolutional neural networks',
  authors: 'Zeng, Yan, Chen, Wang',
  year: 2023,
  url: 'https://doi.org/10.1007/s11760-022-02313-0',
};

/** Abs-CAM's initial map: `norm(up(Σ_k mean|∂y_c/∂A_k| · A_k))`, in [0, 1] at the input size. */
export const absCamInitMethod: MethodDescriptor = {
  id: 'abs-cam-init',
  label: 'Abs-CAM (Init)',
  paper: PAPER,
  box: 'white',
  layers: 'one',
  params: [],
  run: (model, image, _params, context) =>
    perTarget(model, image, context, (pass) => initMap(pass.activations, pass.gradient, inputSize(model))),
};

/**
 * Abs-CAM's final map: each weighted activation map, upsampled and normalised, masks the input;
 * `L = ReLU(Σ_k |y_c(x ⊙ M_k)| · M_k)`, at its raw scale (use `normalizedMap` to display it).
 * Channels whose weighted maps are identical (all the dead ones, whose masks are all zero) make
 * the same masked input, which is scored once and counted as often as it occurs. The masked
 * forward passes run in batches through `predict` (the next batch's masks made meanwhile), with
 * progress and cancellation.
 */
export const absCamFinalMethod: MethodDescriptor = {
  id: 'abs-cam-final',
  label: 'Abs-CAM (Final)',
  paper: PAPER,
  box: 'white',
  layers: 'one',
  params: [],
  run: (model, image, _params, context) =>
    perTarget(model, image, context, async (pass, target) => {
      const { activations } = pass;
      const weights = channelWeights(pass.gradient);
      const size = inputSize(model);
      const [, h, w] = activations.shape;
      const { representatives, sizes } = distinctRows(await weightedChannels(activations, weights), h * w);
      let total = tf.keep(tf.zeros(size)) as tf.Tensor2D;
      try {
        await runOverlapped(
          representatives.length,
          ({ start, end }) => {
            const masks = channelMasks(activations, weights, size, representatives.slice(start, end));
            return { masks, masked: maskedBatch(model, image, masks) };
          },
          async ({ masks, masked }, { start, end }) => {
            const logits = await predictMasked(model, masked);
            try {
              return tf.tidy(() => {
                const scores = tf.abs(tf.reshape(tf.slice(logits, [0, target.index], [end - start, 1]), [-1]));
                const counted = tf.mul(scores, tf.tensor1d(sizes.slice(start, end), 'float32')) as tf.Tensor1D;
                return weightedMaskSum(counted, masks);
              });
            } finally {
              logits.dispose();
            }
          },
          (partial) => {
            const previous = total;
            total = tf.keep(tf.add(previous, partial));
            previous.dispose();
          },
          { batchSize: context.batchSize, onProgress: context.onProgress, signal: context.signal, stage: 'abs-cam-final' },
        );
        return { map: tf.relu(total), params: { maskedPasses: representatives.length } };
      } finally {
        total.dispose();
      }
    }),
};

export const ABS_CAM_METHODS: readonly MethodDescriptor[] = [absCamInitMethod, absCamFinalMethod];

/** Abs-CAM Init of one image for one class (default: the top class), as a single map. */
export async function absCamInit(model: Classifier, image: tf.Tensor, options: AbsCamOptions = {}): Promise<SaliencyMap> {
  return one(absCamInitMethod, model, image, options);
}

/** Abs-CAM Final of one image for one class (default: the top class), as a single map. */
export async function absCamFinal(model: Classifier, image: tf.Tensor, options: AbsCamOptions = {}): Promise<SaliencyMap> {
  return one(absCamFinalMethod, model, image, options);
}

/** `absCamInit` or `absCamFinal`, chosen by `variant`. */
export function absCam(model: Classifier, image: tf.Tensor, options: AbsCamRunOptions): Promise<SaliencyMap> {
  if (options.variant === 'init') return absCamInit(model, image, options);
  if (options.variant === 'final') return absCamFinal(model, image, options);
  return Promise.reject(new XaiError(`Unknown Abs-CAM variant "${String(options.variant)}"; accepted: "init", "final"`));
}

async function one(method: MethodDescriptor, model: Classifier, image: tf.Tensor, options: AbsCamOptions): Promise<SaliencyMap> {
  const { target, ...rest } = options;
  const [map] = await explainWith(method, model, image, { ...rest, targets: target ?? 'top' });
  return map;
}

/**
 * One map per target: the forward + backward pass at the layer, handed to `compute`, then
 * disposed (adapters may `tf.keep` them, so a scope alone would not free them).
 */
async function perTarget(
  model: Classifier,
  image: tf.Tensor4D,
  context: MethodContext,
  compute: (pass: LayerGradient, target: ResolvedTarget) => Promise<Computed> | Computed,
): Promise<SaliencyMap[]> {
  const [layer] = context.layers;
  const maps: SaliencyMap[] = [];
  for (const target of context.targets) {
    const pass = await (model as WhiteBoxClassifier).activationsAndGradient(image, layer, target.index);
    let map: tf.Tensor2D | undefined;
    try {
      const computed = await compute(pass, target);
      map = computed instanceof tf.Tensor ? computed : computed.map;
      const extra = computed instanceof tf.Tensor ? {} : computed.params;
      maps.push(await toSaliencyMap(map, target, layer, extra));
    } finally {
      tf.dispose([pass.activations, pass.gradient, pass.logits, ...(map ? [map] : [])]);
    }
  }
  return maps;
}

function inputSize(model: Classifier): [number, number] {
  return [model.input.height, model.input.width];
}

/** A method's map, with what it reports of its run beside the target and layer. */
type Computed = tf.Tensor2D | { map: tf.Tensor2D; params: Record<string, unknown> };

async function toSaliencyMap(map: tf.Tensor2D, target: ResolvedTarget, layer: LayerHandle, extra: Record<string, unknown>): Promise<SaliencyMap> {
  const [height, width] = map.shape;
  return saliencyMap({
    data: Float32Array.from(await map.data()),
    height,
    width,
    classIndex: target.index,
    className: target.name,
    method: '',
    params: { target: target.index, layer: layer.name, ...extra },
  });
}
