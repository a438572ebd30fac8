import * as tf from '@tensorflow/tfjs-core';
import { channelSum, defineCam } from './base.js';

/**
 * Grad-CAM (element-wise), pytorch-grad-cam's `GradCAMElementWise`: HiResCAM's products, each
 * passed through a ReLU before the channels are summed, `Σ_k ReLU(G_k ⊙ A_k)`. It has no paper
 * of its own; the library that introduced it is cited.
 */
export const gradCamElementwise = defineCam({
  id: 'grad-cam-elementwise',
  label: 'Grad-CAM (element-wise)',
  paper: {
    title: 'PyTorch library for CAM methods (GradCAMElementWise)',
    authors: 'Gildenblat and contributors',
    year: 2021,
    url: 'https://github.com/jacobgil/pytorch-grad-cam',
  },
  usesGradient: true,
  raw: ({ activations, gradient }) => channelSum(tf.relu(tf.mul(gradient, activations))),
});
