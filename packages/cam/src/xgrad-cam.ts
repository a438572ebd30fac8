import * as tf from '@tensorflow/tfjs-core';
import { defineCam, weightedSum } from './base.js';

/** XGrad-CAM's epsilon (pytorch-grad-cam's). */
const EPSILON = 1e-7;

/** XGrad-CAM: `w_k = Σ_ij G_k · A_k / (Σ_ij A_k + ε)`; `Σ_k w_k · A_k`. */
export const xGradCam = defineCam({
  id: 'xgrad-cam',
  label: 'XGrad-CAM',
  paper: {
    title: 'Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of CNNs',
    authors: 'Fu, Hu, Dong, Guo, Gao, Li',
    year: 2020,
    url: 'https://arxiv.org/abs/2008.02312',
  },
  usesGradient: true,
  raw: ({ activations, gradient }) => {
    const sumA = tf.add(tf.sum(activations, [1, 2], true), EPSILON);
    return weightedSum(activations, tf.sum(tf.div(tf.mul(gradient, activations), sumA), [1, 2], true));
  },
});
