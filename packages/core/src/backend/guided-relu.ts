import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '../errors.js';

/**
 * Guided Backprop's backward for a ReLU (Springenberg et al. 2015; Captum's `GuidedBackprop`):
 * the gradient `dy` reaching the ReLU's output leaves it as `ReLU(dy) · [x > 0]`, `x` being the
 * ReLU's input — the ordinary ReLU gradient `dy · [x > 0]` with its negative part cut.
 */
export const GUIDED_RELU_GRADIENT: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    return { x: () => tf.mul(tf.relu(dy as tf.Tensor), tf.cast(tf.step(x), 'float32')) };
  },
};

/**
 * Runs `run` — synchronously, so no other code runs in between — with tfjs's gradient of the
 * `Relu` kernel replaced by Guided Backprop's (`GUIDED_RELU_GRADIENT`), then puts back whatever
 * was registered before (also when `run` throws). tfjs records a kernel's gradient function (and
 * the tensors it saves) when the kernel runs inside `tf.grad`, so the forward and backward passes
 * both have to happen inside `run`.
 *
 * What counts as a ReLU: every execution of the `Relu` kernel, i.e. every `tf.relu`. That covers
 * tfjs-layers' `ReLU` layers and `activation: 'relu'` (also in Dense and Conv2D: their fused
 * kernels are unfused while gradients are recorded, tfjs-core's `shouldFuse`, so the activation
 * runs as `tf.relu`), GraphModel `Relu` nodes and `_FusedConv2D` / `_FusedMatMul` nodes with a
 * `Relu` activation (same unfusing), and ONNX `Relu` nodes (run as `tf.relu` by the exact plan).
 * Not ReLUs here: `Relu6` / ONNX `Clip(0, 6)`, clipping, `LeakyRelu`, `Elu`, `Prelu`. A Keras
 * `ReLU` layer with `maxValue` is `relu` then a clip: its `relu` part is guided.
 */
export function withGuidedRelu<T>(run: () => T): T {
  const original = tf.getGradient(tf.Relu);
  tf.registerGradient(GUIDED_RELU_GRADIENT);
  try {
    const out = run();
    if (out && typeof (out as { then?: unknown }).then === 'function') {
      throw new XaiError('withGuidedRelu runs synchronous work only (the gradient registration would not cover an asynchronous one)');
    }
    return out;
  } finally {
    if (original) tf.registerGradient(original);
    else tf.unregisterGradient(tf.Relu);
  }
}
