import * as tf from '@tensorflow/tfjs-core';
import { defineGradientMethod } from './base.js';

/** Saliency: the absolute gradient of the class logit, `|∂y_c/∂x|` (Captum's `Saliency`, `abs=True`). */
export const saliency = defineGradientMethod({
  id: 'saliency',
  label: 'Saliency',
  paper: {
    title: 'Deep Inside Convolutional Networks: Visualising Image Classification Models and Saliency Maps',
    authors: 'Simonyan, Vedaldi, Zisserman',
    year: 2014,
    url: 'https://arxiv.org/abs/1312.6034',
  },
  backward: 'gradient',
  rule: (_inputs, gradients) => tf.abs(gradients),
});
