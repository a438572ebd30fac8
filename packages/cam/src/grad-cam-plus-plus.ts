import * as tf from '@tensorflow/tfjs-core';
import { defineCam, weightedSum } from './base.js';

/** Grad-CAM++'s epsilon in the denominator of `a` (pytorch-grad-cam's). */
const EPSILON = 1e-6;

/**
 * Grad-CAM++: `a = G² / (2G² + Σ_ij(A_k) · G³ + ε)`, with `a = 0` where `G = 0`;
 * `w_k = Σ_ij ReLU(G_k) · a_k`; `Σ_k w_k · A_k`.
 */
export const gradCamPlusPlus = defineCam({
  id: 'grad-cam-pp',
  label: 'Grad-CAM++',
  paper: {
    title: 'Grad-CAM++: Generalized Gradient-based Visual Explanations for Deep Convolutional Networks',
    authors: 'Chattopadhyay, Sarkar, Howlader, Balasubramanian',
    year: 2018,
    url: 'https://arxiv.org/abs/1710.11063',
  },
  usesGradient: true,
  raw: ({ activations, gradient: g }) => {
    const g2 = tf.square(g);
    const g3 = tf.mul(g2, g);
    const sumA = tf.sum(activations, [1, 2], true);
    const a = tf.div(g2, tf.add(tf.add(tf.mul(g2, 2), tf.mul(sumA, g3)), EPSILON));
    const alpha = tf.where(tf.notEqual(g, 0), a, tf.zerosLike(a));
    return weightedSum(activations, tf.sum(tf.mul(tf.relu(g), alpha), [1, 2], true));
  },
});
