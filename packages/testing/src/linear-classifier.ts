import * as tf from '@tensorflow/tfjs-core';
import { PREPROCESSING_PRESETS, XaiError, type Classifier, type InputSpec } from '@xai/core';

export interface ImageSize {
  height: number;
  width: number;
  channels: number;
}

export interface TestClassifierOptions {
  /** Default: `class-0`, `class-1`, … */
  classNames?: readonly string[];
  /** Keep a copy of every batch `predict` is given in `seen`. Default: false. */
  record?: boolean;
  engine?: string;
}

/**
 * A black-box test classifier whose logits are a fixed function of the NHWC batch, given as tfjs
 * ops. It holds no tensors between calls (so it may be made before or after a leak check, on
 * any backend), and counts what it was asked.
 */
export class FunctionClassifier implements Classifier {
  readonly input: InputSpec;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly preprocessing = PREPROCESSING_PRESETS.unit;
  readonly engine: string;
  /** How many times `predict` ran. */
  predictCalls = 0;
  /** How many images `predict` scored: the sum of its batch sizes. */
  imagesScored = 0;
  /** With `record`: every batch `predict` was given, one NHWC array per image. Clear it with `seen.length = 0`. */
  readonly seen: Float32Array[][] = [];
  private readonly record: boolean;

  constructor(
    size: ImageSize & { numClasses: number },
    private readonly logits: (batch: tf.Tensor4D) => tf.Tensor2D,
    options: TestClassifierOptions = {},
  ) {
    this.input = { height: size.height, width: size.width, channels: size.channels, layout: 'NHWC' };
    this.numClasses = size.numClasses;
    this.classNames = options.classNames ?? Array.from({ length: size.numClasses }, (_, i) => `class-${i}`);
    this.engine = options.engine ?? 'test:function';
    this.record = options.record ?? false;
  }

  async predict(batch: tf.Tensor4D): Promise<tf.Tensor2D> {
    this.predictCalls++;
    this.imagesScored += batch.shape[0];
    if (this.record) {
      const values = await batch.data();
      const per = values.length / batch.shape[0];
      this.seen.push(Array.from({ length: batch.shape[0] }, (_, i) => Float32Array.from(values.subarray(i * per, (i + 1) * per))));
    }
    return tf.tidy(() => this.logits(batch));
  }

  dispose(): void {}
}

/** A `FunctionClassifier` with logits `f(batch)`. */
export function functionClassifier(
  size: ImageSize & { numClasses: number },
  logits: (batch: tf.Tensor4D) => tf.Tensor2D,
  options: TestClassifierOptions = {},
): FunctionClassifier {
  return new FunctionClassifier(size, logits, options);
}

export interface LinearClassifierOptions extends TestClassifierOptions {
  /** One per class; default zeros. */
  bias?: ArrayLike<number>;
}

/**
 * A closed-form test classifier: `logits = flatten(x) · weights + bias`, `weights` row-major
 * `[H·W·C, K]` with the features in NHWC order, so the number of classes is
 * `weights.length / (H·W·C)`.
 */
export function linearClassifier(size: ImageSize, weights: Float32Array, options: LinearClassifierOptions = {}): FunctionClassifier {
  const features = size.height * size.width * size.channels;
  const numClasses = weights.length / features;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new XaiError(`linearClassifier: weights must be [H·W·C = ${features}, classes]; got ${weights.length} values`);
  }
  const bias = Float32Array.from(options.bias ?? new Float32Array(numClasses));
  if (bias.length !== numClasses) throw new XaiError(`linearClassifier: bias must have one value per class (${numClasses}); got ${bias.length}`);
  return new FunctionClassifier(
    { ...size, numClasses },
    (batch) => tf.add(tf.matMul(tf.reshape(batch, [batch.shape[0], features]), tf.tensor2d(weights, [features, numClasses])), tf.tensor1d(bias)),
    { engine: 'test:linear', ...options },
  );
}
