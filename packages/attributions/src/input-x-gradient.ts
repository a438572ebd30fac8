import * as tf from '@tensorflow/tfjs-core';
import { defineGradientMethod } from './base.js';

/** Input × Gradient: `x ⊙ ∂y_c/∂x`, signed (Captum's `InputXGradient`). */
export const inputXGradient = defineGradientMethod({
  id: 'input-x-gradient',
  label: 'Input × Gradient',
  paper: {
    title: 'Not Just a Black Box: Learning Important Features Through Propagating Activation Differences',
    authors: 'Shrikumar, Greenside, Shcherbina, Kundaje',
    year: 2016,
    url: 'https://arxiv.org/abs/1605.01713',
  },
  backward: 'gradient',
  rule: (inputs, gradients) => tf.mul(inputs, gradients),
});
