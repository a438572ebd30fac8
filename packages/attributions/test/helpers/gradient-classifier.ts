import * as tf from '@tensorflow/tfjs-core';
import {
  PREPROCESSING_PRESETS,
  XaiError,
  type Classifier,
  type InputGradientOptions,
  type InputSpec,
  type LayerGradient,
  type LayerHandle,
  type LayerInfo,
} from '@xai/core';
import { uniformArray } from '@xai/testing';

/**
 * Logits `[B, K]` of an NHWC batch; `relu` is the ReLU to use (plain, or Guided Backprop's).
 */
export type Network = (batch: tf.Tensor4D, relu: (x: tf.Tensor) => tf.Tensor) => tf.Tensor2D;

/** ReLU whose backward passes `ReLU(g) · [input > 0]`. */
const guidedRelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return { value: tf.relu(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(tf.relu(dy), tf.step(saved[0])) };
}) as (x: tf.Tensor) => tf.Tensor;

/**
 * A hand-written white-box test classifier: logits from tfjs ops, `inputGradients` by `tf.grad`
 * (Guided Backprop with a custom-gradient ReLU). It has no layers (the attributions use none):
 * `layers()` is empty and the layer calls refuse. It holds no tensors between calls and counts
 * what it was asked.
 */
export class GradientTestClassifier implements Classifier {
  readonly input: InputSpec;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly preprocessing = PREPROCESSING_PRESETS.unit;
  readonly engine = 'test:gradient';
  predictCalls = 0;
  imagesScored = 0;
  gradientCalls = 0;
  /** Sum of the batch sizes given to `inputGradients`. */
  imagesDifferentiated = 0;
  /** The `guided` flag of every `inputGradients` call. */
  readonly guidedCalls: boolean[] = [];

  constructor(
    size: { height: number; width: number; channels: number; numClasses: number },
    private readonly network: Network,
  ) {
    this.input = { height: size.height, width: size.width, channels: size.channels, layout: 'NHWC' };
    this.numClasses = size.numClasses;
    this.classNames = Array.from({ length: size.numClasses }, (_, i) => `class-${i}`);
  }

  async predict(batch: tf.Tensor4D): Promise<tf.Tensor2D> {
    this.predictCalls++;
    this.imagesScored += batch.shape[0];
    return tf.tidy(() => this.network(batch, tf.relu));
  }

  async inputGradients(batch: tf.Tensor4D, classes: number | readonly number[], options: InputGradientOptions = {}): Promise<tf.Tensor4D> {
    this.gradientCalls++;
    this.imagesDifferentiated += batch.shape[0];
    this.guidedCalls.push(options.rule === 'guided');
    const rows = batch.shape[0];
    const perRow = typeof classes === 'number' ? Array<number>(rows).fill(classes) : [...classes];
    if (perRow.length !== rows) throw new Error(`inputGradients: ${perRow.length} classes for ${rows} rows`);
    const relu = options.rule === 'guided' ? guidedRelu : tf.relu;
    return tf.tidy(() => {
      const pick = tf.oneHot(tf.tensor1d(perRow, 'int32'), this.numClasses);
      const f = (x: tf.Tensor) => tf.sum(tf.mul(this.network(x as tf.Tensor4D, relu), pick));
      return tf.grad(f)(batch) as tf.Tensor4D;
    });
  }

  layers(): LayerInfo[] {
    return [];
  }

  resolveLayer(name: string): LayerHandle {
    throw new XaiError(`GradientTestClassifier has no layers; got "${name}"`);
  }

  async activationsAndGradient(): Promise<LayerGradient> {
    throw new XaiError('GradientTestClassifier has no layers');
  }

  dispose(): void {}
}

export interface LinearModel {
  model: GradientTestClassifier;
  /** `[H·W·C, K]` row-major, features in NHWC order. */
  weights: Float32Array;
  bias: Float32Array;
}

/** `logits = flatten(x) · W + b`, seeded weights. */
export function linearModel(height: number, width: number, channels: number, numClasses: number, seed = 21): LinearModel {
  const features = height * width * channels;
  const weights = uniformArray(features * numClasses, seed);
  const bias = uniformArray(numClasses, seed + 1, -0.5, 0.5);
  const model = new GradientTestClassifier({ height, width, channels, numClasses }, (batch) =>
    tf.add(tf.matMul(tf.reshape(batch, [batch.shape[0], features]), tf.tensor2d(weights, [features, numClasses])), tf.tensor1d(bias)),
  );
  return { model, weights, bias };
}

export interface ReluModel {
  model: GradientTestClassifier;
  /** `[H·W·C, D]` row-major. */
  V: Float32Array;
  /** `[D, K]` row-major. */
  U: Float32Array;
  hidden: number;
}

/** `logits = ReLU(flatten(x) · V) · U`: one hidden ReLU layer of `hidden` units, seeded weights. */
export function reluModel(height: number, width: number, channels: number, numClasses: number, hidden = 12, seed = 31): ReluModel {
  const features = height * width * channels;
  const V = uniformArray(features * hidden, seed);
  const U = uniformArray(hidden * numClasses, seed + 1);
  const model = new GradientTestClassifier({ height, width, channels, numClasses }, (batch, relu) => {
    const h = tf.matMul(tf.reshape(batch, [batch.shape[0], features]), tf.tensor2d(V, [features, hidden]));
    return tf.matMul(relu(h) as tf.Tensor2D, tf.tensor2d(U, [hidden, numClasses]));
  });
  return { model, V, U, hidden };
}
