import * as tf from '@tensorflow/tfjs-core';
import { conv2dBackpropFilter } from './conv2d-backprop-filter.js';
import { conv2dBackpropInput } from './conv2d-backprop-input.js';
import { depthwiseBackpropFilter } from './depthwise-backprop-filter.js';
import { depthwiseBackpropInput } from './depthwise-backprop-input.js';
import { maxPoolGrad } from './max-pool-grad.js';
import { unsortedSegmentSum } from './unsorted-segment-sum.js';

type KernelMaker = (backendName: string) => tf.KernelConfig;

const GRADIENT_KERNELS: KernelMaker[] = [conv2dBackpropFilter, depthwiseBackpropFilter, depthwiseBackpropInput, unsortedSegmentSum];

/**
 * Kernels a backend has but that ours replace there:
 * - wasm's Conv2DBackpropInput is a plain loop, ten times slower on a ResNet than the same work as
 *   one of its own (XNNPACK) convolutions;
 * - wasm's MaxPoolGrad is wrong where a window ties (it picks the last maximal element, and loses
 *   the gradient of windows whose maximum is zero or negative): see `maxPoolGrad`.
 */
const REPLACED_KERNELS: Record<string, KernelMaker[]> = { wasm: [conv2dBackpropInput, maxPoolGrad] };

/** The kernel functions registered in place of a backend's (so that a second call keeps them). */
const ours = new Set<unknown>();

/**
 * Registers, for `backendName`, the kernels that gradients through convolutional networks need
 * and that the backend lacks (the wasm backend has none of these), and the ones above in place of
 * its own. Returns the names it added or replaced (none on a second call).
 */
export function registerGradientKernels(backendName: string): string[] {
  const added: string[] = [];
  for (const make of GRADIENT_KERNELS) {
    const config = make(backendName);
    if (tf.getKernel(config.kernelName, backendName)) continue;
    tf.registerKernel(config);
    added.push(config.kernelName);
  }
  for (const make of REPLACED_KERNELS[backendName] ?? []) {
    const config = make(backendName);
    if (ours.has(tf.getKernel(config.kernelName, backendName)?.kernelFunc)) continue;
    if (tf.getKernel(config.kernelName, backendName)) tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel(config);
    ours.add(config.kernelFunc);
    added.push(config.kernelName);
  }
  return added;
}
