import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '@xai/core';
import { channelLogits, classColumn, defineCam, weightedSum } from './base.js';

/** How far below the activations' minimum an ablated channel is set when that minimum is not 0. */
const ABLATION_OFFSET = 1e7;

/**
 * Ablation-CAM, no gradients: the layer's output with channel k ablated is fed on through the rest
 * of the network (`forwardFrom`, in batches of channels); `w_k = (y_c − y_c^(k)) / y_c` with `y_c`
 * the logit of the unablated pass; `Σ_k w_k · A_k`.
 *
 * The ablated value is pytorch-grad-cam's rule: 0 when `min(A) = 0` (a ReLU output), else
 * `min(A) − 1e7`, with `min(A)` taken once over the unablated activations. (pytorch-grad-cam takes
 * the minimum again inside its loop over the batch, over activations it has already ablated, so
 * there the value drifts further down channel after channel; that is not reproduced.)
 */
export const ablationCam = defineCam({
  id: 'ablation-cam',
  label: 'Ablation-CAM',
  paper: {
    title: 'Ablation-CAM: Visual Explanation for Deep Convolutional Network via Gradient-free Localization',
    authors: 'Desai, Ramaswamy',
    year: 2020,
    url: 'https://openaccess.thecvf.com/content_WACV_2020/html/Desai_Ablation-CAM_Visual_Explanation_for_Deep_Convolutional_Network_via_Gradient-free_Localization_WACV_2020_paper.html',
  },
  usesGradient: false,
  check: (model) => {
    if (typeof model.forwardFrom !== 'function') {
      throw new XaiError(
        `Ablation-CAM runs the network on from the layer with channels ablated, which needs a model with forwardFrom ` +
          `(a tfjs LayersModel or GraphModel, or an ONNX model on the tfjs graph); this model (engine ${model.engine}) has none`,
      );
    }
  },
  raw: async (pass, env) => {
    const { image, layer, activations, target } = pass;
    const k = activations.shape[3];
    const min = (await tf.min(activations).data())[0];
    const value = min === 0 ? 0 : min - ABLATION_OFFSET;
    pass.record('ablationValue', value);
    const ablated = (channels: number[]) =>
      tf.tidy(() => {
        const mask = tf.reshape(tf.cast(tf.oneHot(tf.tensor1d(channels, 'int32'), k), 'float32'), [channels.length, 1, 1, k]);
        return tf.add(tf.mul(activations, tf.sub(1, mask)), tf.mul(mask, value)) as tf.Tensor4D;
      });
    const logits = await channelLogits(pass, env, 'ablation-cam', {
      input: ablated,
      score: (input) => env.model.forwardFrom!(image, layer, input),
    });
    const y = (await pass.logits.data())[target.index];
    const ablatedScores = classColumn(logits, env.model.numClasses, target.index);
    const weights = Float32Array.from(ablatedScores, (s) => (y - s) / y);
    return weightedSum(activations, tf.tensor4d(weights, [1, 1, 1, k]));
  },
});
