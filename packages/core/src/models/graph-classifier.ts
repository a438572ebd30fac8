import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { Classifier, InputGradientOptions, InputSpec, LayerGradient, LayerHandle, LayerInfo, Layout, RandomiseOptions } from '../classifier.js';
import { XaiError } from '../errors.js';
import { classifierOutputClasses, inFixedBatches } from './contract.js';
import { ensureGradients } from '../backend/register-gradients.js';
import { inputGradientsOf } from './input-gradients.js';
import { resolvePreprocessing, type Preprocessing } from '../preprocess.js';
import { defaultFeatureLayerOrNone, layerHandle, unknownLayer } from './layer-search.js';
import { describeSource, type ClassifierOptions } from './options.js';
import { withoutWeightGradients } from '../backend/no-weight-gradients.js';
import { runFromLayer } from './run-from-layer.js';
import { checkParameterLayers, shuffledWeights } from './randomise.js';

interface GraphNode {
  name: string;
  op: string;
  /** Input values (`node`, `node:1`, `^node` for a control input). */
  input?: string[];
}

const NOT_LAYERS = new Set(['Const', 'Placeholder', 'NoOp', 'Shape', 'StridedSlice', 'Pack', 'Identity']);

export interface GraphClassifierOptions extends ClassifierOptions {
  /** Layout of the model's image input; tfjs graph models are NHWC unless told otherwise. */
  layout?: Layout;
}

/**
 * A tfjs GraphModel as a white-box Classifier. Layers are graph nodes, named by their node name
 * or by a scope in it (`block3` names the last node under `…/block3/…`). Gradients come from one
 * run of the whole graph with the layer's value fed back in plus a zero tensor, so branches that
 * bypass the layer still see the input.
 *
 * A graph whose input has a fixed batch size (`[1, 224, 224, 3]`) runs every forward pass in
 * batches of exactly that size: larger ones are split, the last padded with zeros whose rows are
 * dropped, and the engine line says so (`tfjs:wasm (fixed batch 1)`); input gradients too.
 *
 * Guided Backprop replaces the backward of every `tf.relu` the graph runs: `Relu` nodes, and the
 * `Relu` activation of `_FusedConv2D` / `_FusedMatMul` nodes (see `withGuidedRelu`).
 */
export class GraphClassifier implements Classifier {
  readonly input: InputSpec;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly preprocessing: Preprocessing;
  readonly engine: string;
  /** The batch size the graph's input is fixed at, if it is (undefined: any batch). */
  readonly fixedBatch?: number;
  private readonly nodes: GraphNode[];
  private readonly inputName: string;
  private readonly outputName: string;
  private layerList?: LayerInfo[];
  private readonly options: GraphClassifierOptions;

  constructor(
    readonly model: GraphModel,
    options: GraphClassifierOptions = {},
  ) {
    this.options = options;
    const shape = model.inputs[0]?.shape ?? [];
    const layout = options.layout ?? 'NHWC';
    const [h, w, c] = layout === 'NHWC' ? shape.slice(1) : [shape[2], shape[3], shape[1]];
    if (model.inputs.length !== 1 || shape.length !== 4 || ![h, w, c].every((d) => d != null && d > 0)) {
      throw new XaiError(
        `A classifier needs one image input of fixed size; this graph's inputs are ${model.inputs
          .map((i) => `${i.name} [${(i.shape ?? []).join(', ')}]`)
          .join(', ')}`,
      );
    }
    this.input = { height: h!, width: w!, channels: c!, layout };
    if (typeof shape[0] === 'number' && shape[0] > 0) this.fixedBatch = shape[0];
    this.inputName = model.inputNodes[0];
    this.outputName = model.outputNodes[0];
    this.nodes = graphNodes(model);
    this.preprocessing = resolvePreprocessing(options.preprocessing);
    this.classNames = options.classNames;
    this.engine = `tfjs:${tf.getBackend()}${this.fixedBatch ? ` (fixed batch ${this.fixedBatch})` : ''}`;
    const where = { model: describeSource(options.source), output: this.outputName };
    const outShape = model.outputs[0]?.shape;
    // The declared shape first; dynamic axes (or none declared) are measured on a zero image.
    const declared = outShape ? classifierOutputClasses(outShape, { ...where, batch: this.fixedBatch }) : undefined;
    this.numClasses = declared ?? this.probeClassCount(where);
  }

  async predict(batch: tf.Tensor4D): Promise<tf.Tensor2D> {
    return this.inBatchUnits(batch, (x) => this.toLogits(this.model.execute(this.toModel(x as tf.Tensor4D), this.outputName) as tf.Tensor));
  }

  layers(): LayerInfo[] {
    this.layerList ??= this.measureLayers();
    return this.layerList;
  }

  resolveLayer(name: string): LayerHandle {
    const node = this.resolveNode(name);
    const info = this.layers().find((l) => l.name === node);
    if (!info) throw unknownLayer(name, this.layers(), defaultFeatureLayerOrNone(this));
    const { shape, layout } = { shape: info.shape, layout: this.input.layout };
    const nhwc = shape.length === 3 && layout === 'NCHW' ? [shape[1], shape[2], shape[0]] : shape;
    return layerHandle(name, info, nhwc);
  }

  async activationsAndGradient(image: tf.Tensor4D, handle: LayerHandle, classIndex: number): Promise<LayerGradient> {
    await ensureGradients();
    const node = handle.output;
    // A fixed batch above 1 runs the image repeated; row 0 is the answer.
    const unit = this.fixedBatch ?? 1;
    const x = tf.tidy(() => this.toModel(unit > 1 ? (tf.tile(image, [unit, 1, 1, 1]) as tf.Tensor4D) : image));
    const value = this.model.execute(x, node) as tf.Tensor4D;
    let logits: tf.Tensor2D | undefined;
    const classLogit = (delta: tf.Tensor) => {
      const feeds = { [this.inputName]: x, [node]: tf.add(value, delta) };
      const all = this.toLogits(this.model.execute(feeds, this.outputName) as tf.Tensor);
      logits = tf.keep(unit > 1 ? tf.slice(all, [0, 0], [1, this.numClasses]) : all);
      return tf.squeeze(tf.slice(logits, [0, classIndex], [1, 1]));
    };
    const zeros = tf.zerosLike(value);
    try {
      const gradient = withoutWeightGradients(() => tf.grad(classLogit)(zeros)) as tf.Tensor4D;
      return {
        activations: this.fromModelFeatures(firstRow(value, unit)),
        gradient: this.fromModelFeatures(firstRow(gradient, unit)),
        logits: logits!,
      };
    } finally {
      zeros.dispose();
      if (x !== image) x.dispose();
    }
  }

  async inputGradients(batch: tf.Tensor4D, classes: number | readonly number[], options?: InputGradientOptions): Promise<tf.Tensor4D> {
    const model = {
      input: this.input,
      numClasses: this.numClasses,
      fixedBatch: this.fixedBatch,
      logits: (x: tf.Tensor4D) => this.toLogits(this.model.execute(this.toModel(x), this.outputName) as tf.Tensor),
    };
    return inputGradientsOf(model, batch, classes, options);
  }

  async forwardFrom(image: tf.Tensor4D, handle: LayerHandle, activations: tf.Tensor4D): Promise<tf.Tensor2D> {
    return tf.tidy(() => {
      const run = (x: tf.Tensor4D, given: tf.Tensor4D) => {
        const fed = this.input.layout === 'NHWC' ? given : tf.transpose(given, [0, 3, 1, 2]);
        return this.toLogits(this.model.execute({ [this.inputName]: this.toModel(x), [handle.output]: fed }, this.outputName) as tf.Tensor);
      };
      if (this.fixedBatch) {
        const unit = this.fixedBatch;
        const tiled = unit > 1 ? (tf.tile(image, [unit, 1, 1, 1]) as tf.Tensor4D) : image;
        return inFixedBatches(activations, unit, (chunk) => run(tiled, chunk as tf.Tensor4D));
      }
      return runFromLayer(image, activations.shape[0], (x) => run(x, activations));
    });
  }

  /**
   * Nodes that read weights: a float constant of more than one value (a kernel, a bias, a folded
   * batch norm's scale), in graph order.
   */
  parameterLayers(): string[] {
    return this.nodes.filter((n) => !NOT_LAYERS.has(n.op) && this.weightInputs(n).length > 0).map((n) => n.name);
  }

  /** A new GraphModel from this one's artifacts, the weight constants of `layers` re-initialised. */
  async randomisedCopy(layers: readonly string[], { seed }: RandomiseOptions): Promise<GraphClassifier> {
    checkParameterLayers(layers, this.parameterLayers());
    const artifacts = graphArtifacts(this.model);
    const weights = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
    try {
      for (const name of layers) {
        const node = this.nodes.find((n) => n.name === name)!;
        this.weightInputs(node).forEach((constant, i) => {
          const w = weights[constant];
          weights[constant] = tf.tensor(shuffledWeights(w.dataSync() as Float32Array, seed, name, i), w.shape, w.dtype);
          w.dispose();
        });
      }
      const { data, specs } = await tf.io.encodeWeights(weights);
      const { loadGraphModel } = await import('@tensorflow/tfjs-converter');
      const copy = await loadGraphModel({ load: async () => ({ ...artifacts, weightData: data, weightSpecs: specs }) });
      try {
        return new GraphClassifier(copy, { ...this.options, preprocessing: this.preprocessing, classNames: this.classNames });
      } catch (error) {
        copy.dispose();
        throw error;
      }
    } finally {
      tf.dispose(Object.values(weights));
    }
  }

  private constantNames?: Set<string>;

  private constants(): Set<string> {
    this.constantNames ??= new Set(this.nodes.filter((n) => n.op === 'Const').map((n) => n.name));
    return this.constantNames;
  }

  /** The float constants of more than one value a node reads, in input order. */
  private weightInputs(node: GraphNode): string[] {
    const weights = this.model.weights;
    return (node.input ?? [])
      .filter((i) => !i.startsWith('^'))
      .map((i) => i.replace(/:\d+$/, ''))
      .filter((i) => {
        const w = weights[i]?.[0];
        return w !== undefined && w.dtype === 'float32' && w.size > 1 && this.constants().has(i);
      });
  }

  dispose(): void {
    this.model.dispose();
  }

  /** A node name, or a scope whose last node is the scope's output. */
  private resolveNode(name: string): string {
    if (this.nodes.some((n) => n.name === name)) return name;
    const scoped = this.nodes.filter((n) => `/${n.name}/`.includes(`/${name}/`) && !NOT_LAYERS.has(n.op));
    if (scoped.length > 0) return scoped[scoped.length - 1].name;
    throw unknownLayer(name, this.layers(), defaultFeatureLayerOrNone(this));
  }

  private measureLayers(): LayerInfo[] {
    const candidates = this.nodes.filter((n) => !NOT_LAYERS.has(n.op));
    const probe = tf.zeros([this.fixedBatch ?? 1, ...this.modelInputShape()]);
    try {
      const outputs = this.model.execute({ [this.inputName]: probe }, candidates.map((n) => n.name)) as tf.Tensor[];
      const layers = candidates.map((n, i) => {
        const t = outputs[i];
        const camTarget = t.rank === 4 && t.dtype === 'float32';
        return { name: n.name, shape: t.shape.slice(1), kind: n.op, camTarget, output: n.name };
      });
      tf.dispose(outputs);
      return layers;
    } finally {
      probe.dispose();
    }
  }

  private probeClassCount(where: { model: string; output: string }): number {
    const batch = this.fixedBatch ?? 1;
    const shape = tf.tidy(() => (this.model.execute(tf.zeros([batch, ...this.modelInputShape()]), this.outputName) as tf.Tensor).shape);
    return classifierOutputClasses(shape, { ...where, batch })!;
  }

  /** Runs `run` on `x` at once, or, with a fixed batch, on batches of that size. */
  private inBatchUnits<T extends tf.Tensor>(x: tf.Tensor, run: (batch: tf.Tensor) => T): T {
    return this.fixedBatch ? inFixedBatches(x, this.fixedBatch, run) : tf.tidy(() => run(x));
  }

  /** The output as `[batch, numClasses]` (axes of size 1 after the batch dropped). */
  private toLogits(out: tf.Tensor): tf.Tensor2D {
    return (out.rank === 2 ? out : tf.reshape(out, [-1, this.numClasses])) as tf.Tensor2D;
  }

  private modelInputShape(): number[] {
    const { height, width, channels, layout } = this.input;
    return layout === 'NHWC' ? [height, width, channels] : [channels, height, width];
  }

  private toModel(x: tf.Tensor4D): tf.Tensor4D {
    return this.input.layout === 'NHWC' ? x : tf.transpose(x, [0, 3, 1, 2]);
  }

  /** Feature maps in NHWC; a transposed input is disposed. */
  private fromModelFeatures(x: tf.Tensor4D): tf.Tensor4D {
    if (this.input.layout === 'NHWC') return x;
    const out = tf.transpose(x, [0, 2, 3, 1]);
    x.dispose();
    return out;
  }
}

/** Row 0 of a batch computed at the fixed batch size (the tensor itself at batch 1; otherwise it is disposed). */
function firstRow<T extends tf.Tensor>(t: T, unit: number): T {
  if (unit === 1) return t;
  const row = tf.slice(t, t.shape.map(() => 0), [1, ...t.shape.slice(1)]) as T;
  t.dispose();
  return row;
}

function graphNodes(model: GraphModel): GraphNode[] {
  const artifacts = (model as unknown as { artifacts?: { modelTopology?: { node?: GraphNode[] } } }).artifacts;
  const nodes = artifacts?.modelTopology?.node;
  if (!Array.isArray(nodes)) throw new XaiError('This GraphModel carries no graph topology to list layers from');
  return nodes.map((n) => ({ name: n.name, op: n.op, input: n.input }));
}

function graphArtifacts(model: GraphModel): tf.io.ModelArtifacts {
  const artifacts = (model as unknown as { artifacts?: tf.io.ModelArtifacts }).artifacts;
  if (!artifacts?.weightSpecs || !artifacts.weightData) throw new XaiError('This GraphModel carries no weights to copy');
  return artifacts;
}
