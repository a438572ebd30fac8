import * as tf from '@tensorflow/tfjs-core';
import { channelSum, defineCam } from './base.js';

/** Layer-CAM: the positive part of the gradient weights each activation, `Σ_k ReLU(G_k) ⊙ A_k`. */
export const layerCam = defineCam({
  id: 'layer-cam',
  label: 'Layer-CAM',
  paper: {
    title: 'LayerCAM: Exploring Hierarchical Class Activation Maps for Localization',
    authors: 'Jiang, Zhang, Hou, Cheng, Wei',
    year: 2021,
    url: 'https://doi.org/10.1109/TIP.2021.3089943',
  },
  usesGradient: true,
  raw: ({ activations, gradient }) => channelSum(tf.mul(tf.relu(gradient), activations)),
});
