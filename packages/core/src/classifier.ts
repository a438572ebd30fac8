import type * as tf from '@tensorflow/tfjs-core';
import type { Preprocessing } from './preprocess.js';

/** Memory layout of a model's image input. Methods always work in NHWC; adapters convert at the edge. */
export type Layout = 'NHWC' | 'NCHW';

export interface InputSpec {
  height: number;
  width: number;
  channels: number;
  /** The layout the model itself was built with (and that `.npy` tensors given by the user use). */
  layout: Layout;
}

export interface LayerInfo {
  /** The name to pass to `activationsAndGradient`: a Keras layer name, a module path, a tensor name. */
  name: string;
  /** Output shape without the batch axis, in the model's own layout. */
  shape: number[];
  /** Operation or layer class that produces it, for display. */
  kind: string;
  /** True when the output is a 4-D feature map that Abs-CAM can use. */
  camTarget: boolean;
}

export interface LayerGradient {
  /** Activations at the layer, NHWC `[1, h, w, k]`. */
  activations: tf.Tensor4D;
  /** Gradient of the class logit with respect to the activations, NHWC `[1, h, w, k]`. */
  gradient: tf.Tensor4D;
  /** Logits of the same forward pass, `[1, numClasses]`. */
  logits: tf.Tensor2D;
}

/**
 * The only thing a method knows about a model. Inputs are preprocessed NHWC float tensors;
 * outputs are logits. White-box members are present only when the model can give gradients.
 */
export interface Classifier {
  readonly input: InputSpec;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly preprocessing: Preprocessing;
  /** Which engine runs `predict` (e.g. `tfjs:wasm`, `onnxruntime-node`). */
  readonly engine: string;
  /** Logits `[B, numClasses]` for a preprocessed NHWC batch `[B, H, W, C]`. The caller owns the result. */
  predict(batch: tf.Tensor4D): Promise<tf.Tensor2D>;
  /** Present on white-box models. */
  layers?(): LayerInfo[];
  /** Present on white-box models. `image` is one preprocessed NHWC image `[1, H, W, C]`. */
  activationsAndGradient?(image: tf.Tensor4D, layer: string, classIndex: number): Promise<LayerGradient>;
  /** The layer Abs-CAM uses when none is named: the last 4-D output before global pooling. */
  defaultCamLayer?(): string;
  dispose(): void;
}

export type WhiteBoxClassifier = Classifier &
  Required<Pick<Classifier, 'layers' | 'activationsAndGradient' | 'defaultCamLayer'>>;

export function isWhiteBox(model: Classifier): model is WhiteBoxClassifier {
  return (
    typeof model.layers === 'function' &&
    typeof model.activationsAndGradient === 'function' &&
    typeof model.defaultCamLayer === 'function'
  );
}
