import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';
import type { Classifier, InputGradientOptions, InputSpec, LayerGradient, LayerHandle, LayerInfo, RandomiseOptions } from '../classifier.js';
import { XaiError } from '../errors.js';
import { classifierOutputClasses } from './contract.js';
import { ensureGradients } from '../backend/register-gradients.js';
import { inputGradientsOf } from './input-gradients.js';
import { resolvePreprocessing, type Preprocessing } from '../preprocess.js';
import { defaultFeatureLayerOrNone, layerHandle, unknownLayer } from './layer-search.js';
import { describeSource, type ClassifierOptions } from './options.js';
import { withoutWeightGradients } from '../backend/no-weight-gradients.js';
import { runFromLayer } from './run-from-layer.js';
import { checkParameterLayers, shuffledWeights } from './randomise.js';

type AnyLayer = LayersModel['layers'][number];
type CallFn = AnyLayer['call'];

interface FoundLayer {
  info: LayerInfo;
  layer: AnyLayer;
}

/**
 * A tfjs LayersModel (Sequential or functional, nested models included) as a white-box
 * Classifier. Inputs are NHWC. Layers are named as in Keras; a layer of a nested model is
 * `outer/inner`. Gradients come from the whole model run once, with a zero tensor added to the
 * chosen layer's output — no splitting into sub-models, so skip connections and nesting work.
 * Input gradients (and Guided Backprop's, which replaces the backward of every `tf.relu`: ReLU
 * layers and `activation: 'relu'` of any layer, see `withGuidedRelu`) come from one run too.
 */
export class LayersClassifier implements Classifier {
  readonly input: InputSpec;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly preprocessing: Preprocessing;
  readonly engine: string;
  private readonly found: FoundLayer[];
  private readonly options: ClassifierOptions;

  constructor(
    readonly model: LayersModel,
    options: ClassifierOptions = {},
  ) {
    this.options = options;
    const shape = model.inputs[0].shape;
    const outShape = model.outputs[0].shape;
    if (model.inputs.length !== 1 || shape.length !== 4 || shape.slice(1).some((d) => d == null)) {
      throw new XaiError(
        `A classifier needs one image input of fixed size [batch, height, width, channels]; this model has ${describeInputs(model.inputs)}`,
      );
    }
    this.input = { height: shape[1]!, width: shape[2]!, channels: shape[3]!, layout: 'NHWC' };
    // The output named as layers are (its Keras layer's name).
    const where = { model: describeSource(options.source), output: model.outputs[0].sourceLayer?.name ?? model.outputs[0].name };
    this.numClasses = classifierOutputClasses(outShape, where) ?? this.probeClassCount(where);
    this.classNames = options.classNames;
    this.preprocessing = resolvePreprocessing(options.preprocessing);
    this.engine = `tfjs:${tf.getBackend()}`;
    this.found = collectLayers(model, '');
  }

  async predict(batch: tf.Tensor4D): Promise<tf.Tensor2D> {
    return tf.tidy(() => this.toLogits(this.model.apply(batch, { training: false }) as tf.Tensor));
  }

  layers(): LayerInfo[] {
    return this.found.map((f) => f.info);
  }

  resolveLayer(name: string): LayerHandle {
    const found = this.found.find((f) => f.info.name === name);
    if (!found) throw unknownLayer(name, this.layers(), defaultFeatureLayerOrNone(this));
    return layerHandle(name, found.info, found.info.shape);
  }

  async activationsAndGradient(image: tf.Tensor4D, handle: LayerHandle, classIndex: number): Promise<LayerGradient> {
    await ensureGradients();
    const layer = this.layerOf(handle);
    let activations: tf.Tensor4D | undefined;
    let logits: tf.Tensor2D | undefined;
    const classLogit = (delta: tf.Tensor) => {
      logits = tf.keep(
        this.applyReplacing(layer, image, (out) => {
          activations = tf.keep(out as tf.Tensor4D);
          return tf.add(out, delta);
        }),
      );
      return tf.squeeze(tf.slice(logits, [0, classIndex], [1, 1]));
    };
    const zeros = tf.zeros([1, ...handle.shape]);
    try {
      const gradient = withoutWeightGradients(() => tf.grad(classLogit)(zeros)) as tf.Tensor4D;
      return { activations: activations!, gradient, logits: logits! };
    } finally {
      zeros.dispose();
    }
  }

  async inputGradients(batch: tf.Tensor4D, classes: number | readonly number[], options?: InputGradientOptions): Promise<tf.Tensor4D> {
    const model = {
      input: this.input,
      numClasses: this.numClasses,
      logits: (x: tf.Tensor4D) => this.toLogits(this.model.apply(x, { training: false }) as tf.Tensor),
    };
    return inputGradientsOf(model, batch, classes, options);
  }

  async forwardFrom(image: tf.Tensor4D, handle: LayerHandle, activations: tf.Tensor4D): Promise<tf.Tensor2D> {
    const layer = this.layerOf(handle);
    // A clone, since the layers executor disposes a layer's output once its readers have run, and
    // the caller owns `activations`.
    const replace = () => activations.clone();
    return tf.tidy(() => runFromLayer(image, activations.shape[0], (x) => this.applyReplacing(layer, x, replace)));
  }

  /** Layers with weights of their own (a nested model is listed by its layers), input to output. */
  parameterLayers(): string[] {
    return this.found.filter((f) => f.layer.weights.length > 0 && !isNestedModel(f.layer)).map((f) => f.info.name);
  }

  /** A copy of the network (topology and weights serialised, then rebuilt) with `layers` re-initialised. */
  async randomisedCopy(layers: readonly string[], { seed }: RandomiseOptions): Promise<LayersClassifier> {
    checkParameterLayers(layers, this.parameterLayers());
    let artifacts: tf.io.ModelArtifacts | undefined;
    await this.model.save(
      tf.io.withSaveHandler(async (saved) => {
        artifacts = saved;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const { loadLayersModel } = await import('@tensorflow/tfjs-layers');
    const copy = await loadLayersModel({ load: async () => artifacts! });
    try {
      const inCopy = collectLayers(copy, '');
      for (const name of layers) {
        const layer = inCopy.find((f) => f.info.name === name)!.layer;
        const replaced = layer.getWeights().map((w, i) => tf.tensor(shuffledWeights(w.dataSync() as Float32Array, seed, name, i), w.shape, w.dtype));
        layer.setWeights(replaced);
        tf.dispose(replaced);
      }
      return new LayersClassifier(copy, { ...this.options, preprocessing: this.preprocessing, classNames: this.classNames });
    } catch (error) {
      copy.dispose();
      throw error;
    }
  }

  /** Runs the model with `layer`'s output passed through `replace`. */
  private applyReplacing(layer: AnyLayer, image: tf.Tensor4D, replace: (out: tf.Tensor) => tf.Tensor): tf.Tensor2D {
    const original = layer.call;
    layer.call = function (this: AnyLayer, ...args: Parameters<CallFn>) {
      const out = original.apply(this, args);
      // A nested model's call returns its one output in a list.
      return replace((Array.isArray(out) ? out[0] : out) as tf.Tensor);
    };
    try {
      return this.toLogits(this.model.apply(image, { training: false }) as tf.Tensor);
    } finally {
      layer.call = original;
    }
  }

  /** The output as `[batch, numClasses]` (a `[batch, 1, 1, K]` head's axes of size 1 dropped). */
  private toLogits(out: tf.Tensor): tf.Tensor2D {
    return (out.rank === 2 ? out : tf.reshape(out, [-1, this.numClasses])) as tf.Tensor2D;
  }

  /** The class count when the output's declared shape leaves it open: one run on a zero image. */
  private probeClassCount(where: { model: string; output: string }): number {
    const { height, width, channels } = this.input;
    const shape = tf.tidy(() => (this.model.apply(tf.zeros([1, height, width, channels]), { training: false }) as tf.Tensor).shape);
    return classifierOutputClasses(shape, { ...where, batch: 1 })!;
  }

  private layerOf(handle: LayerHandle): AnyLayer {
    const found = this.found.find((f) => f.info.output === handle.output);
    if (!found) throw unknownLayer(handle.name, this.layers());
    return found.layer;
  }

  dispose(): void {
    this.model.dispose();
  }
}

function collectLayers(model: LayersModel, prefix: string): FoundLayer[] {
  const out: FoundLayer[] = [];
  for (const layer of model.layers) {
    const name = prefix + layer.name;
    const nested = (layer as unknown as { layers?: unknown }).layers;
    const shape = singleOutputShape(layer);
    if (Array.isArray(nested)) out.push(...collectLayers(layer as unknown as LayersModel, `${name}/`));
    if (!shape) continue;
    out.push({
      layer,
      info: { name, shape, kind: layer.getClassName(), camTarget: shape.length === 3 && !isInputLayer(layer), output: name },
    });
  }
  return out;
}

function singleOutputShape(layer: AnyLayer): number[] | undefined {
  let shape: unknown;
  try {
    shape = layer.outputShape;
  } catch {
    return undefined; // a layer called more than once has no single output shape
  }
  if (!Array.isArray(shape) || Array.isArray(shape[0])) return undefined;
  const dims = (shape as (number | null)[]).slice(1);
  return dims.every((d): d is number => typeof d === 'number') ? dims : undefined;
}

function isNestedModel(layer: AnyLayer): boolean {
  return Array.isArray((layer as unknown as { layers?: unknown }).layers);
}

function isInputLayer(layer: AnyLayer): boolean {
  return layer.getClassName() === 'InputLayer';
}

function describeInputs(inputs: SymbolicTensor[]): string {
  return inputs.map((i) => `[${i.shape.map((d) => d ?? '?').join(', ')}]`).join(' and ');
}
