import * as tf from '@tensorflow/tfjs-core';
import { channelSum, defineCam } from './base.js';

/** HiResCAM: the gradient multiplies the activations element by element, `Σ_k G_k ⊙ A_k`. */
export const hiResCam = defineCam({
  id: 'hires-cam',
  label: 'HiResCAM',
  paper: {
    title: 'Use HiResCAM instead of Grad-CAM for faithful explanations of convolutional neural networks',
    authors: 'Draelos, Carin',
    year: 2020,
    url: 'https://arxiv.org/abs/2011.08891',
  },
  usesGradient: true,
  raw: ({ activations, gradient }) => channelSum(tf.mul(gradient, activations)),
});
