import * as tf from '@tensorflow/tfjs-core';
import { maskedBatch, predictMasked } from '@xai/core';
import { channelLogits, classColumn, defineCam, weightedSum } from './base.js';

/** pytorch-grad-cam's epsilon in the masks' min-max normalisation. */
const EPSILON = 1e-8;

/**
 * Score-CAM, no gradients: each channel, upsampled to the input bilinearly with aligned corners
 * (PyTorch's `UpsamplingBilinear2d`) and min-max normalised, masks the input; `s_k = y_c(x ⊙ M_k)`
 * (the raw logit) through `predict`, so the model's fast engine runs the K passes, one per distinct
 * channel (equal channels, such as the dead ones, make equal masks);
 * `w = softmax_k(s)`; `Σ_k w_k · A_k`. Masks are made per batch, so memory follows the batch size.
 */
export const scoreCam = defineCam({
  id: 'score-cam',
  label: 'Score-CAM',
  paper: {
    title: 'Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks',
    authors: 'Wang, Wang, Du, Yang, Zhang, Ding, Mardziel, Hu',
    year: 2020,
    url: 'https://arxiv.org/abs/1910.01279',
  },
  usesGradient: false,
  raw: async (pass, env) => {
    const { image, activations, target } = pass;
    const [, h, w, k] = activations.shape;
    const sameInput = async () => {
      const rows = tf.tidy(() => tf.reshape(tf.transpose(activations, [3, 1, 2, 0]), [k, h * w]));
      try {
        return { rows: (await rows.data()) as Float32Array, rowLength: h * w };
      } finally {
        rows.dispose();
      }
    };
    const input = (picked: number[]) =>
      tf.tidy(() => {
        const channels = tf.transpose(tf.gather(activations, tf.tensor1d(picked, 'int32'), 3), [3, 1, 2, 0]);
        const up = tf.image.resizeBilinear(channels as tf.Tensor4D, env.size, true, false);
        const min = tf.min(up, [1, 2, 3], true);
        const masks = tf.div(tf.sub(up, min), tf.add(tf.sub(tf.max(up, [1, 2, 3], true), min), EPSILON));
        return maskedBatch(env.model, image, masks as tf.Tensor4D);
      });
    const logits = await channelLogits(pass, env, 'score-cam', { input, score: (masked) => predictMasked(env.model, masked) }, sameInput);
    const weights = softmax(classColumn(logits, env.model.numClasses, target.index));
    return weightedSum(activations, tf.tensor4d(weights, [1, 1, 1, weights.length]));
  },
});

function softmax(scores: Float32Array): Float32Array {
  const max = Math.max(...scores);
  const exp = Array.from(scores, (s) => Math.exp(s - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return Float32Array.from(exp, (e) => e / sum);
}
