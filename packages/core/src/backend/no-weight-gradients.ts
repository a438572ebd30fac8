import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '../errors.js';

/** The kernels that compute a convolution's weight gradient. */
const WEIGHT_GRADIENT_KERNELS = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter'];

/**
 * Runs `run` — synchronously, as `withGuidedRelu` — with the active backend's weight-gradient
 * kernels answering zeros, then puts the backend's own back (also when `run` throws).
 *
 * For gradients with respect to an input or a layer only. tfjs's fused convolutions (what
 * tfjs-layers' Conv2D and GraphModels' `_FusedConv2D` run whenever there is no activation to
 * unfuse) take their gradient with a custom gradient that computes every input's, the filter's
 * too — as costly as the input gradient itself — which the tape then drops. No input gradient
 * depends on a weight gradient, so answering zeros changes no result and halves the work.
 */
export function withoutWeightGradients<T>(run: () => T): T {
  const backendName = tf.getBackend();
  const replaced: tf.KernelConfig[] = [];
  for (const kernelName of WEIGHT_GRADIENT_KERNELS) {
    const own = tf.getKernel(kernelName, backendName);
    if (!own) continue;
    tf.unregisterKernel(kernelName, backendName);
    replaced.push(own);
    tf.registerKernel({ kernelName, backendName, kernelFunc: zerosOfFilterShape });
  }
  try {
    const out = run();
    if (out && typeof (out as { then?: unknown }).then === 'function') {
      throw new XaiError('withoutWeightGradients runs synchronous work only (the kernels would not be replaced during an asynchronous one)');
    }
    return out;
  } finally {
    for (const own of replaced) {
      tf.unregisterKernel(own.kernelName, backendName);
      tf.registerKernel(own);
    }
  }
}

const zerosOfFilterShape: tf.KernelFunc = ({ attrs, backend }) => {
  const shape = attrs!.filterShape as number[];
  const size = shape.reduce((a, b) => a * b, 1);
  const dataId = (backend as tf.KernelBackend).write(new Float32Array(size), shape, 'float32');
  return { dataId, shape, dtype: 'float32' };
};
