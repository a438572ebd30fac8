import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilter } from './conv2d-backprop-filter.js';
import { depthwiseBackpropFilter } from './depthwise-backprop-filter.js';
import { depthwiseBackpropInput } from './depthwise-backprop-input.js';
import { unsortedSegmentSum } from './unsorted-segment-sum.js';

const GRADIENT_KERNELS = [conv2dBackpropFilter, depthwiseBackpropFilter, depthwiseBackpropInput, unsortedSegmentSum];

/**
 * Registers, for `backendName`, the kernels that gradients through convolutional networks need
 * and that the backend lacks (the wasm backend has none of these). Returns the names it added.
 */
export function registerGradientKernels(backendName: string): string[] {
  const added: string[] = [];
  for (const make of GRADIENT_KERNELS) {
    const config = make(backendName);
    if (tf.getKernel(config.kernelName, backendName)) continue;
    tf.registerKernel(config);
    added.push(config.kernelName);
  }
  return added;
}
