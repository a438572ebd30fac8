import { defineGradientMethod } from './base.js';

/**
 * Guided Backprop: `∂y_c/∂x` with every ReLU's backward passing `ReLU(g) · [input > 0]`, signed
 * (Captum's `GuidedBackprop`). The model's adapter replaces the ReLUs (`inputGradients(…, { rule: 'guided' })`).
 */
export const guidedBackprop = defineGradientMethod({
  id: 'guided-backprop',
  label: 'Guided Backprop',
  paper: {
    title: 'Striving for Simplicity: The All Convolutional Net',
    authors: 'Springenberg, Dosovitskiy, Brox, Riedmiller',
    year: 2015,
    url: 'https://arxiv.org/abs/1412.6806',
  },
  backward: 'guided',
  rule: (_inputs, gradients) => gradients,
});
