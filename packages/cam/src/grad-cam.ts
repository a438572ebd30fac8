import * as tf from '@tensorflow/tfjs-core';
import { defineCam, weightedSum } from './base.js';

/** Grad-CAM: each channel weighted by the spatial mean of its gradient, `Σ_k mean_ij(G_k) · A_k`. */
export const gradCam = defineCam({
  id: 'grad-cam',
  label: 'Grad-CAM',
  paper: {
    title: 'Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization',
    authors: 'Selvaraju, Cogswell, Das, Vedantam, Parikh, Batra',
    year: 2017,
    url: 'https://arxiv.org/abs/1610.02391',
  },
  usesGradient: true,
  raw: ({ activations, gradient }) => weightedSum(activations, tf.mean(gradient, [1, 2], true)),
});
