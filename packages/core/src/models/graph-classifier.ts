import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { Classifier, InputSpec, LayerGradient, LayerHandle, LayerInfo, Layout } from '../classifier.js';
import { XaiError } from '../errors.js';
import { ensureGradients } from '../backend/register-gradients.js';
import { resolvePreprocessing, type Preprocessing } from '../preprocess.js';
import { defaultFeatureLayerOrNone, layerHandle, unknownLayer } from './layer-search.js';
import type { ClassifierOptions } from './options.js';

interface GraphNode {
  name: string;
  op: string;
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
 */
export class GraphClassifier implements Classifier {
  readonly input: InputSpec;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly preprocessing: Preprocessing;
  readonly engine: string;
  private readonly nodes: GraphNode[];
  private readonly inputName: string;
  private readonly outputName: string;
  private layerList?: LayerInfo[];

  constructor(
    readonly model: GraphModel,
    options: GraphClassifierOptions = {},
  ) {
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
    this.inputName = model.inputNodes[0];
    this.outputName = model.outputNodes[0];
    this.nodes = graphNodes(model);
    this.preprocessing = resolvePreprocessing(options.preprocessing);
    this.classNames = options.classNames;
    this.engine = `tfjs:${tf.getBackend()}`;
    const outShape = model.outputs[0]?.shape;
    this.numClasses = outShape?.[1] && outShape[1] > 0 ? outShape[1] : this.probeClassCount();
  }

  async predict(batch: tf.Tensor4D): Promise<tf.Tensor2D> {
    return tf.tidy(() => this.model.execute(this.toModel(batch), this.outputName) as tf.Tensor2D);
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
    const x = this.toModel(image);
    const value = this.model.execute(x, node) as tf.Tensor4D;
    let logits: tf.Tensor2D | undefined;
    const classLogit = (delta: tf.Tensor) => {
      const feeds = { [this.inputName]: x, [node]: tf.add(value, delta) };
      logits = tf.keep(this.model.execute(feeds, this.outputName) as tf.Tensor2D);
      return tf.squeeze(tf.slice(logits, [0, classIndex], [1, 1]));
    };
    const zeros = tf.zerosLike(value);
    try {
      const gradient = tf.grad(classLogit)(zeros) as tf.Tensor4D;
      return {
        activations: this.fromModelFeatures(value),
        gradient: this.fromModelFeatures(gradient),
        logits: logits!,
      };
    } finally {
      zeros.dispose();
      if (x !== image) x.dispose();
    }
  }

  async forwardFrom(image: tf.Tensor4D, handle: LayerHandle, activations: tf.Tensor4D): Promise<tf.Tensor2D> {
    return tf.tidy(() => {
      const fed = this.input.layout === 'NHWC' ? activations : tf.transpose(activations, [0, 3, 1, 2]);
      const run = (x: tf.Tensor4D) =>
        this.model.execute({ [this.inputName]: this.toModel(x), [handle.output]: fed }, this.outputName) as tf.Tensor2D;
      try {
        // Nodes that bypass the layer run at batch 1 and broadcast over the batch.
        return run(image);
      } catch {
        return run(tf.tile(image, [activations.shape[0], 1, 1, 1]));
      }
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
    const probe = tf.zeros([1, ...this.modelInputShape()]);
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

  private probeClassCount(): number {
    const probe = tf.zeros([1, ...this.modelInputShape()]);
    const out = this.model.execute(probe, this.outputName) as tf.Tensor;
    const classes = out.shape[1];
    tf.dispose([probe, out]);
    if (out.rank !== 2 || !classes) throw new XaiError(`A classifier's output must be [batch, classes]; got [${out.shape}]`);
    return classes;
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

function graphNodes(model: GraphModel): GraphNode[] {
  const artifacts = (model as unknown as { artifacts?: { modelTopology?: { node?: GraphNode[] } } }).artifacts;
  const nodes = artifacts?.modelTopology?.node;
  if (!Array.isArray(nodes)) throw new XaiError('This GraphModel carries no graph topology to list layers from');
  return nodes.map((n) => ({ name: n.name, op: n.op }));
}
