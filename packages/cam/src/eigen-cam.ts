import * as tf from '@tensorflow/tfjs-core';
import { defineCam } from './base.js';
import { correctSign, firstComponentProjection } from './principal-component.js';

/**
 * Eigen-CAM, no gradients and no class: the activations as a matrix (rows the h·w positions,
 * columns the channels), each column centred, projected onto their first principal axis; the
 * sign chosen so that the larger magnitude is positive (pytorch-grad-cam's
 * `get_2d_projection_with_sign_correction`). Computed in float64 JavaScript, deterministic.
 * Records the share of the variance the axis explains (`explainedVariance`).
 */
export const eigenCam = defineCam({
  id: 'eigen-cam',
  label: 'Eigen-CAM',
  paper: {
    title: 'Eigen-CAM: Class Activation Map using Principal Components',
    authors: 'Muhammad, Yeasin',
    year: 2020,
    url: 'https://arxiv.org/abs/2008.00299',
  },
  usesGradient: false,
  raw: async (pass) => {
    const [, h, w, k] = pass.activations.shape;
    const { projection, explained } = firstComponentProjection(await pass.activations.data(), h * w, k);
    correctSign(projection);
    pass.record('explainedVariance', explained);
    return tf.tensor4d(Float32Array.from(projection), [1, h, w, 1]);
  },
});
