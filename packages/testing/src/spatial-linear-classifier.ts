import * as tf from '@tensorflow/tfjs-core';
import {
  PREPROCESSING_PRESETS,
  XaiError,
  defaultFeatureLayerOrNone,
  layerHandle,
  unknownLayer,
  type Classifier,
  type InputSpec,
  type LayerGradient,
  type LayerHandle,
  type LayerInfo,
} from '@xai/core';
import { uniformArray } from './random.js';

export interface SpatialLinearClassifierOptions {
  /** Input height and width (even). Default 8. */
  size?: number;
  /** Input channels C. Default 3. */
  channels?: number;
  /** Feature channels K'. Default 6. */
  featureChannels?: number;
  /** Default 3. */
  numClasses?: number;
  /**
   * `A = ReLU(avgPool2×2(x) · V)`, so the features are ≥ 0 and `min(A) = 0` as after a ReLU layer.
   * Default false: the features have both signs. The ReLU lies before `A`, so the gradient
   * `∂y_c/∂A` is the same either way.
   */
  relu?: boolean;
  /** `V`, the channel mixing `[C, K']` row-major, instead of the seeded one. */
  mixing?: ArrayLike<number>;
  /** `P`, the spatial weights `[h, w]` row-major, instead of the seeded one (zeros make `∂y_c/∂A = 0` there). */
  spatial?: ArrayLike<number>;
  /** Give the model `forwardFrom`. Default true; false makes a white-box model that cannot run on from a layer. */
  forwardFrom?: boolean;
}

/** The one layer with activations and gradients. */
const FEATURES = 'features';

/**
 * A hand-written white-box classifier whose gradients are known in closed form:
 *   features  A = [ReLU](avgPool2×2(x) · V)    ([1, H/2, W/2, K'], a 1×1 convolution after pooling)
 *   logits    y_c = Σ_ijk A_ijk · P_ij · U_kc + b_c
 * so ∂y_c/∂A_k(i, j) = P_ij · U_kc. P has both signs, so an absolute value in a method matters.
 * `V`, `P`, `U` and `b` are drawn from core's seeded `Random` (`V` and `P` may be given instead).
 * With one input channel the features have rank one: `A_k(i, j) = pool(x)(i, j) · V_k`.
 * Activations and gradients come from `tf.grad`, as a real adapter's would; the `…Reference`
 * methods give them with plain loops. `forwardFrom` feeds the activations to the head; it can be
 * left out (`forwardFrom: false`), for methods that must refuse such a model.
 *
 * Layers: `features` (the feature map, `[H/2, W/2, K']`), `weighted-sum` (`[K']`) and `logits`
 * (`[classes]`); only `features` gives activations. It holds no tensors between calls.
 */
export class SpatialLinearClassifier implements Classifier {
  readonly input: InputSpec;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly preprocessing = PREPROCESSING_PRESETS.unit;
  readonly engine = 'test:spatial-linear';
  readonly size: number;
  readonly channels: number;
  readonly featureChannels: number;
  /** `[C, K']`, row-major. */
  readonly V: Float32Array;
  /** `[h, w]`, row-major. */
  readonly P: Float32Array;
  /** `[K', classes]`, row-major. */
  readonly U: Float32Array;
  /** `[classes]`. */
  readonly b: Float32Array;
  /** Whether a ReLU makes the features (see the `relu` option). */
  readonly relu: boolean;
  /** How many times `predict` ran. */
  predictCalls = 0;
  /** How many times `activationsAndGradient` ran. */
  gradientCalls = 0;
  /** How many times `forwardFrom` ran. */
  forwardFromCalls = 0;
  /**
   * The logits of the head fed with `activations` (`[B, h, w, K']` → `[B, classes]`); absent when
   * made with `forwardFrom: false`.
   */
  readonly forwardFrom?: (image: tf.Tensor4D, layer: LayerHandle, activations: tf.Tensor4D) => Promise<tf.Tensor2D>;

  constructor(options: SpatialLinearClassifierOptions = {}) {
    const { size = 8, channels = 3, featureChannels = 6, numClasses = 3 } = options;
    if (!Number.isInteger(size / 2) || size < 2) throw new XaiError(`SpatialLinearClassifier: size must be even and ≥ 2, got ${size}`);
    this.size = size;
    this.channels = channels;
    this.featureChannels = featureChannels;
    this.input = { height: size, width: size, channels, layout: 'NHWC' };
    this.numClasses = numClasses;
    this.classNames = Array.from({ length: numClasses }, (_, i) => `class-${i}`);
    this.relu = options.relu ?? false;
    const h = size / 2;
    this.V = given('mixing', options.mixing, channels * featureChannels) ?? uniformArray(channels * featureChannels, 11);
    this.P = given('spatial', options.spatial, h * h) ?? uniformArray(h * h, 12);
    this.U = uniformArray(featureChannels * numClasses, 13);
    this.b = uniformArray(numClasses, 14, -0.5, 0.5);
    if (options.forwardFrom ?? true) {
      this.forwardFrom = async (_image, layer, activations) => {
        this.requireFeatures(layer);
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
    const h = this.size / 2;
    return [
      { name: FEATURES, shape: [h, h, this.featureChannels], kind: 'Conv2D', camTarget: true, output: FEATURES },
      { name: 'weighted-sum', shape: [this.featureChannels], kind: 'Dense', camTarget: false, output: 'weighted-sum' },
      { name: 'logits', shape: [this.numClasses], kind: 'Dense', camTarget: false, output: 'logits' },
    ];
  }

  resolveLayer(name: string): LayerHandle {
    const info = this.layers().find((l) => l.name === name);
    if (!info) throw unknownLayer(name, this.layers(), defaultFeatureLayerOrNone(this));
    return layerHandle(name, info, info.shape);
  }

  async activationsAndGradient(image: tf.Tensor4D, layer: LayerHandle, classIndex: number): Promise<LayerGradient> {
    this.requireFeatures(layer);
    this.gradientCalls++;
    const activations = this.features(image);
    const gradient = tf.grad((a: tf.Tensor) => tf.squeeze(tf.slice(this.head(a as tf.Tensor4D), [0, classIndex], [1, 1])))(
      activations,
    ) as tf.Tensor4D;
    return { activations, gradient, logits: this.head(activations) };
  }

  dispose(): void {}

  /** The features in closed form, with plain loops: NHWC `[h][w][K']` of one NHWC image. */
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
    return this.relu ? out.map((v) => Math.max(v, 0)) : out;
  }

  /** `∂y_c/∂A_k(i, j) = P_ij · U_kc`, NHWC `[h][w][K']`. */
  gradientReference(classIndex: number): Float64Array {
    const K = this.featureChannels;
    const out = new Float64Array(this.P.length * K);
    for (let p = 0; p < this.P.length; p++)
      for (let k = 0; k < K; k++) out[p * K + k] = this.P[p] * this.U[k * this.numClasses + classIndex];
    return out;
  }

  /** Logits from features `[h][w][K']`, with plain loops. */
  headReference(features: ArrayLike<number>): number[] {
    const K = this.featureChannels;
    return Array.from(this.b, (bias, c) => {
      let y = bias;
      for (let p = 0; p < this.P.length; p++)
        for (let k = 0; k < K; k++) y += features[p * K + k] * this.P[p] * this.U[k * this.numClasses + c];
      return y;
    });
  }

  /** Logits of one NHWC image, with plain loops. */
  logitsReference(image: ArrayLike<number>): number[] {
    return this.headReference(this.featuresReference(image));
  }

  private requireFeatures(layer: LayerHandle): void {
    if (layer.output === FEATURES) return;
    const known = this.layers().some((l) => l.output === layer.output);
    if (!known) throw unknownLayer(layer.name, this.layers());
    throw new XaiError(`SpatialLinearClassifier gives activations only at "${FEATURES}"; got "${layer.name}"`);
  }

  private features(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const pooled = tf.avgPool(x, 2, 2, 'valid');
      const kernel = tf.tensor4d(this.V, [1, 1, this.channels, this.featureChannels]);
      const a = tf.conv2d(pooled, kernel, 1, 'valid');
      return this.relu ? tf.relu(a) : a;
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

function given(name: string, values: ArrayLike<number> | undefined, length: number): Float32Array | undefined {
  if (values === undefined) return undefined;
  if (values.length !== length) throw new XaiError(`SpatialLinearClassifier: ${name} must have ${length} values; got ${values.length}`);
  return Float32Array.from(values);
}
