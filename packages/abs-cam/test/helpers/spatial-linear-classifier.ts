import * as tf from '@tensorflow/tfjs-core';
import { PREPROCESSING_PRESETS, XaiError, type Classifier, type LayerGradient, type LayerInfo } from '@xai/core';
import { randomValues } from './random.js';

/**
 * A hand-written white-box classifier whose gradients are known in closed form:
 *   features  A = avgPool2×2(x) · V            ([1, H/2, W/2, K'], a 1×1 convolution after pooling)
 *   logits    y_c = Σ_ijk A_ijk · P_ij · U_kc + b_c
 * so ∂y_c/∂A_k(i, j) = P_ij · U_kc. P has both signs, so the absolute value in Abs-CAM matters.
 * Activations and gradients come from tf.grad, as a real adapter's would.
 */
export class SpatialLinearClassifier implements Classifier {
  readonly input;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly preprocessing = PREPROCESSING_PRESETS.unit;
  readonly engine = 'test:spatial-linear';
  readonly V: Float32Array; // [C, K']
  readonly P: Float32Array; // [h, w]
  readonly U: Float32Array; // [K', classes]
  readonly b: Float32Array; // [classes]
  predictCalls = 0;

  constructor(
    readonly size = 8,
    readonly channels = 3,
    readonly featureChannels = 6,
    numClasses = 3,
  ) {
    this.input = { height: size, width: size, channels, layout: 'NHWC' as const };
    this.numClasses = numClasses;
    this.classNames = Array.from({ length: numClasses }, (_, i) => `class-${i}`);
    const h = size / 2;
    this.V = randomValues(channels * featureChannels, 11, -1, 1);
    this.P = randomValues(h * h, 12, -1, 1);
    this.U = randomValues(featureChannels * numClasses, 13, -1, 1);
    this.b = randomValues(numClasses, 14, -0.5, 0.5);
  }

  async predict(batch: tf.Tensor4D): Promise<tf.Tensor2D> {
    this.predictCalls++;
    return tf.tidy(() => this.head(this.features(batch)));
  }

  layers(): LayerInfo[] {
    const h = this.size / 2;
    return [
      { name: 'features', shape: [h, h, this.featureChannels], kind: 'Conv2D', camTarget: true },
      { name: 'weighted-sum', shape: [this.featureChannels], kind: 'Dense', camTarget: false },
      { name: 'logits', shape: [this.numClasses], kind: 'Dense', camTarget: false },
    ];
  }

  defaultCamLayer(): string {
    return 'features';
  }

  async activationsAndGradient(image: tf.Tensor4D, layer: string, classIndex: number): Promise<LayerGradient> {
    if (layer !== 'features') throw new XaiError(`no activations at ${layer}`);
    const activations = this.features(image);
    const gradient = tf.grad((a: tf.Tensor) =>
      tf.squeeze(tf.slice(this.head(a as tf.Tensor4D), [0, classIndex], [1, 1])),
    )(activations) as tf.Tensor4D;
    return { activations, gradient, logits: this.head(activations) };
  }

  dispose(): void {}

  /** The features in closed form, with plain loops: NHWC `[h][w][K']`. */
  featuresReference(image: ArrayLike<number>): Float64Array {
    const { size, channels: C, featureChannels: K } = this;
    const h = size / 2;
    const out = new Float64Array(h * h * K);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < h; j++)
        for (let c = 0; c < C; c++) {
          let pooled = 0;
          for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) pooled += image[((2 * i + dy) * size + 2 * j + dx) * C + c] / 4;
          for (let k = 0; k < K; k++) out[(i * h + j) * K + k] += pooled * this.V[c * K + k];
        }
    return out;
  }

  /** `∂y_c/∂A_k(i, j) = P_ij · U_kc`, NHWC `[h][w][K']`. */
  gradientReference(classIndex: number): Float64Array {
    const K = this.featureChannels;
    const out = new Float64Array(this.P.length * K);
    for (let p = 0; p < this.P.length; p++)
      for (let k = 0; k < K; k++) out[p * K + k] = this.P[p] * this.U[k * this.numClasses + classIndex];
    return out;
  }

  /** Logits of one NHWC image, with plain loops. */
  logitsReference(image: ArrayLike<number>): number[] {
    const a = this.featuresReference(image);
    const K = this.featureChannels;
    return Array.from(this.b, (bias, c) => {
      let y = bias;
      for (let p = 0; p < this.P.length; p++)
        for (let k = 0; k < K; k++) y += a[p * K + k] * this.P[p] * this.U[k * this.numClasses + c];
      return y;
    });
  }

  private features(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const pooled = tf.avgPool(x, 2, 2, 'valid');
      const kernel = tf.tensor4d(this.V, [1, 1, this.channels, this.featureChannels]);
      return tf.conv2d(pooled, kernel, 1, 'valid');
    });
  }

  private head(a: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const h = this.size / 2;
      const spatial = tf.tensor4d(this.P, [1, h, h, 1]);
      const perChannel = tf.sum(tf.mul(a, spatial), [1, 2]);
      const U = tf.tensor2d(this.U, [this.featureChannels, this.numClasses]);
      return tf.add(tf.matMul(perChannel, U), tf.tensor1d(this.b));
    });
  }
}
