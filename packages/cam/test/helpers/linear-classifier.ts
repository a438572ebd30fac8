import * as tf from '@tensorflow/tfjs-core';
import {
  PREPROCESSING_PRESETS, layerHandle, unknownLayer,
  type Classifier, type LayerGradient, type LayerHandle, type LayerInfo,
} from '@xai/core';
import { randomValues } from './random.js';

export interface LinearOptions {
  size?: number;
  channels?: number;
  featureChannels?: number;
  numClasses?: number;
  /** `features = ReLU(…)` (so min(A) = 0). */
  relu?: boolean;
  /** Spatial weights of the head, `h × h` (default random with both signs). */
  spatial?: Float32Array;
  /** Channel mixing of the features, `[C, K']` (default random). */
  mixing?: Float32Array;
  /** Give the model `forwardFrom` (default true). */
  forwardFrom?: boolean;
}

/**
 * A white-box classifier written by hand, with everything known in closed form:
 *   features  A = [ReLU](avgPool2×2(x) · V)               [1, h, h, K'], h = size / 2
 *   logits    y_c = Σ_ijk A_ijk · P_ij · U_kc + b_c
 * so G_k(i, j) = ∂y_c/∂A_k(i, j) = P_ij · U_kc (the optional ReLU lies before A, so it does not mask G).
 * With one input channel the features have rank one: A_k(i, j) = pool(x)(i, j) · V_k.
 */
export class LinearClassifier implements Classifier {
  readonly input;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly preprocessing = PREPROCESSING_PRESETS.unit;
  readonly engine = 'test:linear';
  readonly size: number;
  readonly h: number;
  readonly C: number;
  readonly K: number;
  readonly V: Float32Array; // [C, K']
  readonly P: Float32Array; // [h, h]
  readonly U: Float32Array; // [K', classes]
  readonly b: Float32Array;
  readonly relu: boolean;
  predictCalls = 0;
  forwardFromCalls = 0;
  gradientPasses = 0;
  forwardFrom?: (image: tf.Tensor4D, layer: LayerHandle, activations: tf.Tensor4D) => Promise<tf.Tensor2D>;

  constructor(options: LinearOptions = {}) {
    this.size = options.size ?? 8;
    this.h = this.size / 2;
    this.C = options.channels ?? 3;
    this.K = options.featureChannels ?? 6;
    this.numClasses = options.numClasses ?? 3;
    this.relu = options.relu ?? false;
    this.input = { height: this.size, width: this.size, channels: this.C, layout: 'NHWC' as const };
    this.classNames = Array.from({ length: this.numClasses }, (_, i) => `class-${i}`);
    this.V = options.mixing ?? randomValues(this.C * this.K, 21);
    this.P = options.spatial ?? randomValues(this.h * this.h, 22);
    this.U = randomValues(this.K * this.numClasses, 23);
    this.b = randomValues(this.numClasses, 24, -0.5, 0.5);
    if (options.forwardFrom ?? true) {
      this.forwardFrom = async (_image, layer, activations) => {
        this.check(layer);
        this.forwardFromCalls++;
        return this.head(activations);
      };
    }
  }

  async predict(batch: tf.Tensor4D): Promise<tf.Tensor2D> {
    this.predictCalls++;
    return tf.tidy(() => this.head(this.features(batch)));
  }

  layers(): LayerInfo[] {
    return [
      { name: 'features', shape: [this.h, this.h, this.K], kind: 'Conv2D', camTarget: true, output: 'features' },
      { name: 'pooled', shape: [this.K], kind: 'Dense', camTarget: false, output: 'pooled' },
    ];
  }

  resolveLayer(name: string): LayerHandle {
    const info = this.layers().find((l) => l.name === name);
    if (!info) throw unknownLayer(name, this.layers());
    return layerHandle(name, info, info.shape);
  }

  async activationsAndGradient(image: tf.Tensor4D, layer: LayerHandle, classIndex: number): Promise<LayerGradient> {
    this.check(layer);
    this.gradientPasses++;
    const activations = this.features(image);
    const gradient = tf.grad((a: tf.Tensor) => tf.squeeze(tf.slice(this.head(a as tf.Tensor4D), [0, classIndex], [1, 1])))(activations) as tf.Tensor4D;
    return { activations, gradient, logits: this.head(activations) };
  }

  dispose(): void {}

  /** The features with plain loops, NHWC `[h][h][K']`. */
  featuresReference(image: ArrayLike<number>): Float64Array {
    const { size, h, C, K } = this;
    const out = new Float64Array(h * h * K);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < h; j++)
        for (let c = 0; c < C; c++) {
          let pooled = 0;
          for (const [dy, dx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) pooled += image[((2 * i + dy) * size + 2 * j + dx) * C + c] / 4;
          for (let k = 0; k < K; k++) out[(i * h + j) * K + k] += pooled * this.V[c * K + k];
        }
    return this.relu ? out.map((v) => Math.max(v, 0)) : out;
  }

  /** `G_k(i, j) = P_ij · U_kc`, NHWC `[h][h][K']`. */
  gradientReference(classIndex: number): Float64Array {
    return Float64Array.from({ length: this.P.length * this.K }, (_, i) => this.P[Math.floor(i / this.K)] * this.U[(i % this.K) * this.numClasses + classIndex]);
  }

  /** The logits of given features `[h][h][K']`. */
  headReference(a: ArrayLike<number>): number[] {
    return Array.from(this.b, (bias, c) => {
      let y = bias;
      for (let i = 0; i < a.length; i++) y += a[i] * this.P[Math.floor(i / this.K)] * this.U[(i % this.K) * this.numClasses + c];
      return y;
    });
  }

  logitsReference(image: ArrayLike<number>): number[] {
    return this.headReference(this.featuresReference(image));
  }

  private check(layer: LayerHandle): void {
    if (layer.output !== 'features') throw new Error(`the linear classifier gives activations at "features" only, not ${layer.name}`);
  }

  private features(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const pooled = tf.avgPool(x, 2, 2, 'valid');
      const a = tf.conv2d(pooled, tf.tensor4d(this.V, [1, 1, this.C, this.K]), 1, 'valid');
      return this.relu ? tf.relu(a) : a;
    });
  }

  private head(a: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const perChannel = tf.sum(tf.mul(a, tf.tensor4d(this.P, [1, this.h, this.h, 1])), [1, 2]);
      return tf.add(tf.matMul(perChannel, tf.tensor2d(this.U, [this.K, this.numClasses])), tf.tensor1d(this.b)) as tf.Tensor2D;
    });
  }
}
