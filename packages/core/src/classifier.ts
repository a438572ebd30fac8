import type * as tf from '@tensorflow/tfjs-core';
import { XaiError } from './errors.js';
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
  /** The name to pass to `resolveLayer`: a Keras layer name, a module path, a tensor name. */
  name: string;
  /** Output shape without the batch axis, in the model's own layout. */
  shape: number[];
  /** Operation or layer class that produces it, for display. */
  kind: string;
  /** True when the output is a 4-D feature map that layer methods (CAMs, Abs-CAM) can use. */
  camTarget: boolean;
  /** The value this layer outputs; aliases (a module and its last submodule) share it. */
  output: string;
  /**
   * Present when the layer is a feature map that is not NCHW/NHWC convolution output: transformer
   * tokens `[T, D]` laid out on a grid, or a channels-last `[h, w, D]` map (SPEC.md "Token-based models").
   */
  tokenGrid?: TokenGrid;
}

/** How a token layer becomes a feature map `[h, w, D]`. */
export interface TokenGrid {
  /** The map's [h, w]. */
  grid: [number, number];
  /** True when the first token (the class token) is dropped: `T = 1 + h·w`. */
  classToken: boolean;
  /** `tokens`: `[T, D]` reshaped row-major onto the grid; `channels-last`: already `[h, w, D]`. */
  from: 'tokens' | 'channels-last';
}

/**
 * A layer resolved once by the model's adapter (`resolveLayer`), then handed to every call that
 * works at that layer, so a name is checked before any input is read.
 */
export interface LayerHandle {
  /** The name the caller gave. */
  readonly name: string;
  /** The adapter's key for the value (a layer, node or tensor name). */
  readonly output: string;
  /** Output shape without the batch axis; NHWC `[h, w, channels]` when `spatial`. */
  readonly shape: readonly number[];
  /** True for a 4-D feature map, the kind layer methods weight channel by channel. */
  readonly spatial: boolean;
  /** Operation or layer class that produces it, for display. */
  readonly kind: string;
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
  /**
   * On white-box models: which engine computes gradients (`tfjs:wasm`, `onnxruntime-node
   * (gradient graph)`), when it is not the one that runs `predict`'s.
   */
  readonly gradientEngine?: string;
  /**
   * On a model that only predicts although its kind usually gives layers and gradients (an ONNX
   * model with operators the tfjs graph lacks): why, for messages.
   */
  readonly whiteBoxUnavailable?: string;
  /**
   * Logits `[B, numClasses]` for a preprocessed NHWC batch `[B, H, W, C]`. The caller owns the
   * result; every other tensor `predict` makes it disposes (methods run two batches at once,
   * outside a tensor scope, see `runOverlapped`).
   */
  predict(batch: tf.Tensor4D): Promise<tf.Tensor2D>;
  /**
   * Optional: `predict` for a batch a method made on the host, given as `rows` images of float32
   * values in the model's own layout (`input.layout`: `[B, C, H, W]` for NCHW), which the model may
   * take over (the caller must not use `values` after the call). It spares the tensor round trip
   * and the layout change; the logits are the same. The caller owns the result.
   */
  predictValues?(values: Float32Array, rows: number): Promise<tf.Tensor2D>;
  /** Present on white-box models: every layer, in forward order. */
  layers?(): LayerInfo[];
  /** Present on white-box models. Turns a layer name into a handle, or throws an `UnknownLayerError`. */
  resolveLayer?(name: string): LayerHandle;
  /** Present on white-box models. `image` is one preprocessed NHWC image `[1, H, W, C]`. */
  activationsAndGradient?(image: tf.Tensor4D, layer: LayerHandle, classIndex: number): Promise<LayerGradient>;
  /**
   * Optional, on white-box models whose engine batches gradients: what `activationsAndGradient`
   * gives, for every layer and class of one image, as `[layer][class]`, in one pass (onnxruntime's
   * gradient graph: one run, one row per class). The caller owns the result.
   */
  layerGradients?(image: tf.Tensor4D, layers: readonly LayerHandle[], classes: readonly number[]): Promise<LayerGradient[][]>;
  /**
   * Optional: the logits `[B, numClasses]` of the network from `layer` on, with the layer's output
   * replaced by `activations` (NHWC `[B, h, w, k]`); values that bypass the layer come from `image`
   * (`[1, H, W, C]`), computed once. The caller owns the result.
   */
  forwardFrom?(image: tf.Tensor4D, layer: LayerHandle, activations: tf.Tensor4D): Promise<tf.Tensor2D>;
  /**
   * Optional: `∂y_c/∂x` of the raw logit of `classes[b]` (or one class for every row) for each
   * image of a preprocessed NHWC batch `[B, H, W, C]`, as `[B, H, W, C]`, in one backward pass.
   * `options.rule` chooses the backward of some operators (`guided`: every ReLU passes
   * `ReLU(g) · [input > 0]`, Guided Backprop); the default is the gradient.
   * The caller owns the result.
   */
  inputGradients?(batch: tf.Tensor4D, classes: number | readonly number[], options?: InputGradientOptions): Promise<tf.Tensor4D>;
  /**
   * Optional: the layers that hold weights, input to output, named as `randomisedCopy` takes them
   * (a Keras layer, an ONNX node or module path, a graph node).
   */
  parameterLayers?(): string[];
  /**
   * Optional: a new classifier, this network with the weights of `layers` re-initialised, seeded
   * (see `shuffledWeights`); this model, and the file it came from, stay as they are. The caller
   * disposes the copy.
   */
  randomisedCopy?(layers: readonly string[], options: RandomiseOptions): Promise<Classifier>;
  dispose(): void;
}

export interface RandomiseOptions {
  /** Seeds the re-initialisation; a layer's new weights depend only on the seed and the layer's name. */
  seed: number;
}

/**
 * Backward rules: what some operators pass back instead of their gradient (Zennit's idea of rules
 * mapped to layers). `gradient` is the plain vector–Jacobian product; `guided` is Guided Backprop
 * (every ReLU passes `ReLU(g) · [input > 0]`). Both engines (the tfjs graph and onnxruntime's
 * gradient graphs) implement every rule listed here.
 */
export const BACKWARD_RULES = ['gradient', 'guided'] as const;
export type BackwardRule = (typeof BACKWARD_RULES)[number];

export interface InputGradientOptions {
  /** The backward rule (default `gradient`). */
  rule?: BackwardRule;
}

/** Checks a rule name, saying which are accepted. */
export function checkBackwardRule(rule: unknown): BackwardRule {
  if (rule === undefined) return 'gradient';
  if (typeof rule === 'string' && (BACKWARD_RULES as readonly string[]).includes(rule)) return rule as BackwardRule;
  throw new XaiError(`unknown backward rule "${String(rule)}"; accepted: ${BACKWARD_RULES.join(', ')}`);
}

export type WhiteBoxClassifier = Classifier &
  Required<Pick<Classifier, 'layers' | 'resolveLayer' | 'activationsAndGradient'>>;

export function isWhiteBox(model: Classifier): model is WhiteBoxClassifier {
  return (
    typeof model.layers === 'function' &&
    typeof model.resolveLayer === 'function' &&
    typeof model.activationsAndGradient === 'function'
  );
}
