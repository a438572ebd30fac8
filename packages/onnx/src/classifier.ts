import * as tf from '@tensorflow/tfjs-core';
import {
  XaiError, checkHostBatch, classifierOutputClasses, defaultFeatureLayerOrNone, inFixedBatches, inputGradientsOf, layerHandle, listForMessage, resolvePreprocessing, unknownLayer,
  type Classifier, type InputGradientOptions, type InputSpec, type LayerGradient, type LayerHandle, type LayerInfo, type Preprocessing, type RandomiseOptions,
} from '@xai/core';
import { OnnxBlackBoxClassifier } from './black-box.js';
import { OnnxGraph, UnsupportedOperatorsError } from './graph.js';
import type { ExternalDataReader } from './host.js';
import type { Value } from './ir.js';
import { TO_NCHW, TO_NHWC } from './ops/context.js';
import { chooseOutput, checkImageBatch, inputSpec, MAX_INPUT_VALUES } from './interface.js';
import { createOrtRunner, type OnnxRuntime, type OpenOrtRunner, type OrtRunner } from './ort.js';
import { predictOnOrt, predictValuesOnOrt, type OrtModel } from './ort-predict.js';
import { decodeModel } from './proto.js';
import { moduleOutputs, modulePaths } from './scopes.js';
import { classTokenOnlyValues } from './class-token.js';
import { foldShapeChains } from './fold.js';
import { randomisedModelBytes, weightedNodes } from './randomise.js';
import { featureMapShape, fromFeatureMap, isFeatureMap, layerView, toFeatureMap, tokenGrid, type LayerView } from './layer-view.js';

export type OnnxEngine = 'auto' | 'tfjs' | 'onnxruntime';

export interface OnnxModelOptions {
  /** A preset name (`imagenet`, `unit`, …) or the values; default `unit`. */
  preprocessing?: string | Partial<Preprocessing>;
  classNames?: readonly string[];
  /** Input [height, width] (or one number for both); needed when the model's spatial size is dynamic. */
  inputSize?: number | readonly [number, number];
  /**
   * Who runs `predict`: `onnxruntime` (onnxruntime-node in Node, onnxruntime-web in browsers; an
   * error when missing), `tfjs` (the differentiable graph), or `auto` (onnxruntime when installed).
   * Gradients always come from the tfjs graph.
   */
  engine?: OnnxEngine;
  /** External tensor data by file name (models saved with `save_as_external_data`). */
  externalData?: Record<string, Uint8Array>;
  /** Threads for onnxruntime (default: its own choice). */
  threads?: number;
  /**
   * The onnxruntime module to run `predict` on (`import * as ort from 'onnxruntime-web'`), for
   * bundled apps: without it the package imports `onnxruntime-node` or `onnxruntime-web` by a
   * name bundlers do not see. Set its `env` (wasm paths, threads) before loading.
   */
  ort?: OnnxRuntime;
  /**
   * The graph output that holds the logits, by name or position (default: the output named
   * `logits`, as Hugging Face Optimum and torch exports name it, else the first).
   */
  output?: string | number;
}

/**
 * What `loadOnnxModel` gives: the white-box classifier, or — when the tfjs graph lacks operators
 * the model uses and onnxruntime runs it — a black-box one (predictions only).
 */
export type OnnxModel = OnnxClassifier | OnnxBlackBoxClassifier;

/** Internal: how the loader hands the model over. */
export interface OnnxSource {
  bytes: Uint8Array;
  /** Name for messages (a path or "the model"). */
  name: string;
  readExternal?: ExternalDataReader;
  /** What onnxruntime should load when the bytes alone are not enough (external data): a path. */
  ortModel?: string;
  /** How to open the onnxruntime session (default `createOrtRunner`, on the calling thread). */
  openOrt?: OpenOrtRunner;
}

interface ValueRecord {
  /** ONNX (logical) shape at the batch unit (1, or the model's fixed batch). */
  shape: number[];
  nhwc: boolean;
  host: boolean;
  /** Position of the producing node (−1: the input). */
  order: number;
  op: string;
  /** How the value reads as a feature map (NCHW, channels-last, tokens). */
  view: LayerView;
}

const FOLD_MAX_PIXELS = 1024 * 1024;

/** A PyTorch (or any ONNX) image classifier: white-box through the tfjs graph, fast through onnxruntime. */
export class OnnxClassifier implements Classifier {
  readonly input: InputSpec;
  private classes?: number;
  readonly classNames?: readonly string[];
  readonly preprocessing: Preprocessing;
  /** ONNX names of the image input and the logits output. */
  readonly inputName: string;
  readonly outputName: string;
  /**
   * The batch size the model was exported with, when its input's first axis is a number (as
   * `torch.onnx.export` writes without `dynamic_axes`); undefined when the batch is dynamic.
   * Every forward pass then runs batches of exactly this size: larger batches are split, the
   * last one padded with zeros whose rows are dropped.
   */
  readonly fixedBatch?: number;
  private readonly graph: OnnxGraph;
  private ort?: OrtRunner;
  private records?: Map<string, ValueRecord>;
  private modules?: Map<string, string[]>;
  private classTokenOnly?: (name: string) => boolean;
  private disposed = false;
  /** What the model was loaded from and with, for copies (`randomisedCopy`). */
  private source?: { from: OnnxSource; options: OnnxModelOptions };

  private constructor(graph: OnnxGraph, input: InputSpec, options: OnnxModelOptions, name: string) {
    this.graph = graph;
    this.input = input;
    this.inputName = graph.input.name;
    this.outputName = chooseOutput(graph.outputs, options.output, name).name;
    this.preprocessing = resolvePreprocessing(options.preprocessing);
    const batch = graph.input.dims?.[0];
    if (typeof batch === 'number' && batch > 0) {
      // The shape pass and every forward pass run whole fixed batches.
      if (batch * input.height * input.width * input.channels > MAX_INPUT_VALUES) {
        throw new XaiError(
          `${name}: the input "${this.inputName}" has a fixed batch of ${batch}; ${batch} images of ${input.height}×${input.width}×${input.channels} are more than supported (${MAX_INPUT_VALUES} values per run)`,
        );
      }
      this.fixedBatch = batch;
    }
    // The declared output first (before anything runs); dynamic axes are measured by the shape pass.
    const declared = graph.outputs.find((o) => o.name === this.outputName)!.dims;
    if (declared) this.classes = classifierOutputClasses(declared, { model: name, output: this.outputName, batch: this.fixedBatch });
    if (options.classNames) this.classNames = [...options.classNames];
  }

  /** Builds the classifier from model bytes (see `loadOnnxModel`). */
  static async create(source: OnnxSource, options: OnnxModelOptions = {}): Promise<OnnxModel> {
    const model = decodeModel(source.bytes, source.name);
    let graph: OnnxGraph;
    try {
      graph = new OnnxGraph(model, source.readExternal);
    } catch (error) {
      // Operators the graph lacks: onnxruntime may still run the model, as a black box.
      if (error instanceof UnsupportedOperatorsError) return OnnxBlackBoxClassifier.create(source, options, error);
      if (error instanceof XaiError) throw new XaiError(`${source.name}: ${error.message}`, { cause: error.cause });
      throw new XaiError(`${source.name} could not be loaded: ${(error as Error).message}`, { cause: error });
    }
    let classifier: OnnxClassifier | undefined;
    try {
      const input = inputSpec(graph.input, options.inputSize, source.name);
      classifier = new OnnxClassifier(graph, input, options, source.name);
      classifier.source = { from: source, options };
      // Folding runs the graph twice; above 1024×1024 shape arithmetic just stays on the host.
      if (graph.nodes.some((n) => n.op === 'Shape') && input.height * input.width <= FOLD_MAX_PIXELS) {
        // With a fixed batch, every Shape entry is a constant: one batch size, seen twice.
        const batches = classifier.fixedBatch ? [classifier.fixedBatch, classifier.fixedBatch] : [1, 2];
        foldShapeChains(graph, (b) => classifier!.zerosInput(b), batches as [number, number]);
      }
      // Measured now, so the tensors a first run caches belong to loading, not to a later call.
      classifier.layers();
      classifier.checkOutput(source.name, options.classNames);
      if (options.engine === 'onnxruntime' || options.engine === 'auto' || options.engine === undefined) {
        const found = await (source.openOrt ?? createOrtRunner)(source.ortModel ?? source.bytes, classifier.inputName, classifier.outputName, {
          threads: options.threads,
          externalData: options.externalData,
          ort: options.ort,
        });
        if (found.runner) classifier.ort = found.runner;
        else if (options.engine === 'onnxruntime') {
          throw new XaiError(`engine "onnxruntime" was asked for, but ${found.name} is unusable: ${found.reason}`);
        }
      } else if (options.engine !== 'tfjs') {
        throw new XaiError(`Unknown engine "${String(options.engine)}"; accepted: auto, tfjs, onnxruntime`);
      }
      return classifier;
    } catch (error) {
      classifier?.dispose();
      if (!classifier) graph.dispose();
      if (error instanceof XaiError) throw error;
      throw new XaiError(`${source.name}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Nodes that read weights (float initializers), by module path (`layer4.1.conv2`, `fc`) or node name; in graph order. */
  parameterLayers(): string[] {
    return weightedNodes(decodeModel(this.source!.from.bytes, this.source!.from.name)).map((n) => n.name);
  }

  /**
   * A new classifier from a re-encoded copy of the model, the initializers of `layers`
   * re-initialised (see `randomisedModelBytes`); loaded as this one was (engine, preprocessing,
   * class names). The model's file and bytes are not touched.
   */
  async randomisedCopy(layers: readonly string[], { seed }: RandomiseOptions): Promise<OnnxClassifier> {
    const { from, options } = this.source!;
    const bytes = randomisedModelBytes(from.bytes, layers, seed, from.readExternal);
    const copyOptions = { ...options, preprocessing: this.preprocessing, classNames: this.classNames };
    const copy = await OnnxClassifier.create({ bytes, name: `${from.name} (layers re-initialised)`, readExternal: from.readExternal, openOrt: from.openOrt }, copyOptions);
    // The copy has this model's operators, so it loads as this one did: white-box.
    if (!(copy instanceof OnnxClassifier)) throw new XaiError(`${from.name}: the re-initialised copy did not load as a white-box model`);
    return copy;
  }

  /** Logits per image: K of the output [batch, K] (extra axes of size 1 dropped), checked at load. */
  get numClasses(): number {
    this.classes ??= this.shapeOf(this.outputName).slice(1).reduce((a, b) => a * b, 1);
    return this.classes;
  }

  /** Who runs `predict`, and the fixed batch size it runs in, if any (`onnxruntime-node (fixed batch 1)`). */
  get engine(): string {
    const engine = this.ort ? this.ort.engine : `tfjs:${tf.getBackend()}`;
    return this.fixedBatch ? `${engine} (fixed batch ${this.fixedBatch})` : engine;
  }

  /** Logits `[B, numClasses]` for a preprocessed NHWC batch. */
  async predict(batch: tf.Tensor4D): Promise<tf.Tensor2D> {
    this.checkBatch(batch, 'predict');
    if (this.ort) return predictOnOrt(this.ort, batch, this.ortModel);
    return this.predictTfjs(batch);
  }

  /**
   * Present when onnxruntime runs `predict`: logits for host values in the model's layout (see
   * `Classifier.predictValues`).
   */
  get predictValues(): ((values: Float32Array, rows: number) => Promise<tf.Tensor2D>) | undefined {
    const ort = this.ort;
    if (!ort) return undefined;
    return async (values, rows) => {
      if (this.disposed) throw new XaiError('the model has been disposed');
      checkHostBatch(this.input, values, rows);
      return predictValuesOnOrt(ort, values, rows, this.ortModel);
    };
  }

  /** The forward pass on the tfjs graph (what `predict` does without onnxruntime). */
  predictTfjs(batch: tf.Tensor4D): tf.Tensor2D {
    this.checkBatch(batch, 'predict');
    return this.inBatchUnits(batch, (x) => {
      const out = this.graph.run(this.inputValue(x as tf.Tensor4D), { eager: true, plan: 'fast' }).get(this.outputName)!;
      return tf.tidy(() => {
        const t = out.kind === 'host' ? tf.tensor(out.h.data, out.h.shape) : out.nhwc ? tf.transpose(out.t, TO_NCHW) : out.t;
        const logits = this.toLogits(t, x.shape[0]);
        if (out.kind === 'tensor' && out.t !== x) out.t.dispose();
        return logits;
      });
    });
  }

  private get ortModel(): OrtModel {
    return { unit: this.fixedBatch, numClasses: this.numClasses, outputName: this.outputName, input: this.input };
  }

  /** Runs `run` on `x` at once, or, with a fixed batch, on batches of that size (see `fixedBatch`). */
  private inBatchUnits<T extends tf.Tensor>(x: tf.Tensor, run: (batch: tf.Tensor) => T): T {
    return this.fixedBatch ? inFixedBatches(x, this.fixedBatch, run) : run(x);
  }

  /** The model's output (ONNX layout) as logits `[rows, numClasses]`. */
  private toLogits(t: tf.Tensor, rows: number): tf.Tensor2D {
    return tf.reshape(t, [rows, this.numClasses]) as tf.Tensor2D;
  }

  /**
   * The output contract, on the shape pass: the output is `[batch, K]` (axes of size 1 after the
   * batch dropped), else the model is refused with the shape seen and what is accepted.
   */
  private checkOutput(name: string, classNames: readonly string[] | undefined): void {
    const record = this.shapes().get(this.outputName);
    if (!record) throw new XaiError(`${name}: the output "${this.outputName}" was not computed by the shape pass`);
    if (record.host) throw new XaiError(`${name}: the output "${this.outputName}" is a constant (it does not depend on the input image)`);
    this.classes = classifierOutputClasses(record.shape, { model: name, output: this.outputName, batch: this.batchUnit })!;
    if (classNames && classNames.length !== this.classes) {
      throw new XaiError(`classNames has ${classNames.length} names but the model has ${this.classes} classes`);
    }
  }

  /** The batch size the tfjs graph and the shape pass run at when one image is given: 1, or the fixed batch. */
  private get batchUnit(): number {
    return this.fixedBatch ?? 1;
  }

  layers(): LayerInfo[] {
    const records = this.shapes();
    const modules = this.moduleMap();
    const list: (LayerInfo & { order: number })[] = [];
    for (const [path, tensors] of modules) {
      if (tensors.length !== 1) continue;
      const r = records.get(tensors[0]);
      if (!r || r.host) continue;
      list.push({ ...this.layerInfo(path, tensors[0], r), order: r.order });
    }
    // Tensors made outside any module (functional calls such as DenseNet's final F.relu, or
    // every tensor of an export without scopes) are listed by their raw names.
    const scoped = list.length > 0;
    for (const [name, r] of records) {
      if (r.host || r.order < 0) continue;
      const producer = this.graph.producers.get(name);
      if (scoped && producer && modulePaths(producer.name).length > 0) continue;
      list.push({ ...this.layerInfo(name, name, r), order: r.order });
    }
    list.sort((a, b) => a.order - b.order || a.name.split('.').length - b.name.split('.').length);
    return list.map(({ order: _order, ...info }) => info);
  }

  /** What `layers()` lists for a value; token maps carry their grid. */
  private layerInfo(name: string, output: string, r: ValueRecord): LayerInfo {
    const grid = tokenGrid(r.view, r.shape);
    const camTarget = isFeatureMap(r.view) && !(r.view.kind === 'tokens' && r.view.classToken && this.onlyClassTokenRead(output));
    return { name, shape: r.shape.slice(1), kind: r.op, camTarget, output, ...(grid ? { tokenGrid: grid } : {}) };
  }

  /** True for token tensors that reach the logits only through their class token (see `classTokenOnlyValues`). */
  private onlyClassTokenRead(name: string): boolean {
    this.classTokenOnly ??= classTokenOnlyValues(this.graph);
    return this.classTokenOnly(name);
  }

  async activationsAndGradient(image: tf.Tensor4D, layer: LayerHandle, classIndex: number): Promise<LayerGradient> {
    this.checkBatch(image, 'activationsAndGradient');
    if (image.shape[0] !== 1) throw new XaiError(`activationsAndGradient takes one image [1, H, W, C], got a batch of ${image.shape[0]}`);
    if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= this.numClasses) {
      throw new XaiError(`class index ${classIndex} is out of range: the model has ${this.numClasses} classes (0–${this.numClasses - 1})`);
    }
    const target = layer.output;
    const record = this.record(layer);
    // At the batch unit (a fixed batch above 1 runs the image tiled; row 0 is the answer).
    const physical = record.nhwc ? TO_NHWC.map((a) => record.shape[a]) : record.shape;
    let activations: tf.Tensor | undefined;
    let logits: tf.Tensor2D | undefined;
    const unit = this.batchUnit;
    const tiled = unit > 1 ? (tf.tile(image, [unit, 1, 1, 1]) as tf.Tensor4D) : image;
    const inputValue = this.inputValue(tiled);
    const firstRow = (t: tf.Tensor): tf.Tensor => {
      if (unit === 1) return t;
      const row = tf.slice(t, t.shape.map(() => 0), [1, ...t.shape.slice(1)]);
      t.dispose();
      return row;
    };
    const f = (z: tf.Tensor): tf.Scalar => {
      const out = this.graph.run(inputValue, {
        fetch: [this.outputName],
        differentiable: true,
        onValue: (name, value) => {
          if (name !== target || value.kind !== 'tensor') return;
          activations = tf.keep(value.t.clone());
          return { ...value, t: tf.add(value.t, z) };
        },
      });
      const v = out.get(this.outputName)!;
      if (v.kind !== 'tensor') throw new XaiError('the model output is a constant');
      const l = tf.slice(this.toLogits(v.nhwc ? tf.transpose(v.t, TO_NCHW) : v.t, unit), [0, 0], [1, this.numClasses]);
      logits = tf.keep(l.clone());
      return tf.sum(tf.slice(l, [0, classIndex], [1, 1]));
    };
    let gradient: tf.Tensor;
    try {
      gradient = tf.tidy(() => tf.grad(f)(tf.zeros(physical)));
    } catch (error) {
      activations?.dispose();
      logits?.dispose();
      if (error instanceof XaiError) throw error;
      throw new XaiError(`the gradient at "${layer.name}" could not be computed on ${tf.getBackend()}: ${(error as Error).message}`, { cause: error });
    } finally {
      if (tiled !== image) tiled.dispose();
    }
    if (!activations || !logits) throw new XaiError(`"${layer.name}" was not computed in the forward pass`);
    activations = firstRow(activations);
    gradient = firstRow(gradient);
    const toNhwc = (t: tf.Tensor): tf.Tensor4D => {
      const out = toFeatureMap(record.view, t, record.nhwc);
      t.dispose();
      return out;
    };
    return { activations: toNhwc(activations), gradient: toNhwc(gradient), logits };
  }

  /**
   * `∂y_c/∂x` per image (see `Classifier.inputGradients`), always on the tfjs graph as exported
   * (the exact plan: no Conv+Relu fusion), in batches of the fixed batch size if the model has
   * one. With `guided`, the backward of every ONNX `Relu` node (run as `tf.relu`) is Guided
   * Backprop's; `Clip(0, 6)` / Relu6, `LeakyRelu` and other activations keep their own.
   */
  async inputGradients(batch: tf.Tensor4D, classes: number | readonly number[], options?: InputGradientOptions): Promise<tf.Tensor4D> {
    this.checkBatch(batch, 'inputGradients');
    const model = {
      input: this.input,
      numClasses: this.numClasses,
      fixedBatch: this.fixedBatch,
      logits: (x: tf.Tensor4D) => {
        // The exact plan: every Relu node runs as its own tf.relu (what Guided Backprop replaces).
        const out = this.graph.run(this.inputValue(x), { fetch: [this.outputName], plan: 'exact', differentiable: true }).get(this.outputName)!;
        if (out.kind !== 'tensor') throw new XaiError('the model output is a constant');
        return this.toLogits(out.nhwc ? tf.transpose(out.t, TO_NCHW) : out.t, x.shape[0]);
      },
    };
    try {
      return await inputGradientsOf(model, batch, classes, options);
    } catch (error) {
      if (error instanceof XaiError) throw error;
      throw new XaiError(`input gradients could not be computed on ${tf.getBackend()}: ${(error as Error).message}`, { cause: error });
    }
  }

  async forwardFrom(image: tf.Tensor4D, layer: LayerHandle, activations: tf.Tensor4D): Promise<tf.Tensor2D> {
    this.checkBatch(image, 'forwardFrom');
    const record = this.record(layer);
    // Tokens the map leaves out (the class token) keep the image's own values.
    const own = record.view.kind === 'tokens' && record.view.classToken ? this.valueAt(image, layer.output) : undefined;
    const run = (x: tf.Tensor4D, given: tf.Tensor) => {
      const replacement: Value = { kind: 'tensor', t: fromFeatureMap(record.view, given as tf.Tensor4D, record.nhwc, own), nhwc: record.nhwc };
      // Only the nodes after the layer (and those that bypass it) run.
      const out = this.graph.run(this.inputValue(x), { fetch: [this.outputName], given: new Map([[layer.output, replacement]]) }).get(this.outputName)!;
      if (out.kind !== 'tensor') throw new XaiError('the model output is a constant');
      return this.toLogits(out.nhwc ? tf.transpose(out.t, TO_NCHW) : out.t, given.shape[0]);
    };
    try {
      if (this.fixedBatch) {
        // Batches of exactly the fixed size, each with the image repeated as often.
        const unit = this.fixedBatch;
        if (image.shape[0] !== 1) throw new XaiError(`forwardFrom takes one image [1, H, W, C], got a batch of ${image.shape[0]}`);
        return tf.tidy(() => {
          const tiled = unit > 1 ? (tf.tile(image, [unit, 1, 1, 1]) as tf.Tensor4D) : image;
          return inFixedBatches(activations, unit, (chunk) => run(tiled, chunk));
        });
      }
      const batch = activations.shape[0];
      return tf.tidy(() => {
        try {
          // Nodes that bypass the layer run at batch 1; what follows broadcasts over the batch.
          const logits = run(image, activations);
          if (logits.shape[0] === batch) return logits;
        } catch {
          // a node after the layer that cannot broadcast a batch of 1 (a concatenation, a fixed reshape)
        }
        return run(tf.tile(image, [batch, 1, 1, 1]), activations);
      });
    } finally {
      own?.dispose();
    }
  }

  /** The value (as the graph holds it) of `name` for one image, row 0 of the batch unit. */
  private valueAt(image: tf.Tensor4D, name: string): tf.Tensor {
    return tf.tidy(() => {
      const unit = this.batchUnit;
      const x = unit > 1 ? (tf.tile(image, [unit, 1, 1, 1]) as tf.Tensor4D) : image;
      const v = this.graph.run(this.inputValue(x), { fetch: [name] }).get(name)!;
      if (v.kind !== 'tensor') throw new XaiError(`"${name}" is a constant`);
      return unit > 1 ? tf.slice(v.t, v.t.shape.map(() => 0), [1, ...v.t.shape.slice(1)]) : v.t.clone();
    });
  }

  /** Maps a module path or a raw tensor name to a handle on the tensor it names. */
  resolveLayer(layer: string): LayerHandle {
    const records = this.shapes();
    const modules = this.moduleMap();
    const tensors = modules.get(layer);
    let tensorName: string | undefined;
    if (tensors && tensors.length === 1) tensorName = tensors[0];
    else if (tensors && tensors.length > 1) {
      throw new XaiError(`module "${layer}" has ${tensors.length} outputs (${listForMessage(tensors)}); name one of these tensors instead`);
    } else if (records.has(layer) && layer !== this.inputName) tensorName = layer;
    const record = tensorName ? records.get(tensorName) : undefined;
    if (!tensorName || !record || record.host) throw unknownLayer(layer, this.layers(), defaultFeatureLayerOrNone(this));
    const info = this.layerInfo(layer, tensorName, record);
    return layerHandle(layer, info, featureMapShape(record.view, record.shape));
  }

  private record(layer: LayerHandle): ValueRecord {
    const record = this.shapes().get(layer.output);
    if (!record || record.host) throw unknownLayer(layer.name, this.layers());
    if (record.view.kind === 'other') {
      throw new XaiError(
        `layer "${layer.name}" has shape [${record.shape.join(', ')}]; activations and gradients come from 4-D feature maps, [1, T, D] tokens with T or T − 1 a square (transformers), and 2-D outputs`,
      );
    }
    return record;
  }

  /** Operators left in the tfjs graph after load-time folding, with their counts. */
  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.graph.nodes) counts[n.op] = (counts[n.op] ?? 0) + 1;
    return counts;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.graph.dispose();
    void this.ort?.dispose();
  }

  /** The shape pass: every value's ONNX shape for one image (run once, on first need). */
  private shapes(): Map<string, ValueRecord> {
    if (this.records) return this.records;
    const records = new Map<string, ValueRecord>();
    const order = new Map<string, { order: number; op: string }>();
    this.graph.nodes.forEach((n, i) => n.outputs.forEach((o) => o && order.set(o, { order: i, op: n.op })));
    const input = this.zerosInput(this.batchUnit);
    try {
      tf.tidy(() => {
        this.graph.run(input, {
          eager: true,
          fetch: [this.outputName],
          onValue: (name, v) => {
            const shape = v.kind === 'host' ? v.h.shape : v.nhwc ? TO_NCHW.map((a) => v.t.shape[a]) : v.t.shape;
            const o = order.get(name) ?? { order: -1, op: 'Input' };
            const nhwc = v.kind === 'tensor' && v.nhwc;
            records.set(name, { shape: [...shape], nhwc, host: v.kind === 'host', ...o, view: layerView(shape, nhwc, this.batchUnit, this.input) });
          },
        });
      });
    } finally {
      if (input.kind === 'tensor') input.t.dispose();
    }
    this.records = records;
    return records;
  }

  private shapeOf(name: string): number[] {
    return this.shapes().get(name)?.shape ?? [];
  }

  private moduleMap(): Map<string, string[]> {
    this.modules ??= moduleOutputs(this.graph.nodes, [this.outputName]);
    return this.modules;
  }

  /** A zero image batch as the graph's input value. */
  zerosInput(batch: number): Value {
    const { height, width, channels } = this.input;
    return this.inputValue(tf.zeros([batch, height, width, channels]) as tf.Tensor4D);
  }

  private inputValue(batch: tf.Tensor4D): Value {
    return { kind: 'tensor', t: batch, nhwc: this.input.layout === 'NCHW' };
  }

  private checkBatch(batch: tf.Tensor, what: string): void {
    if (this.disposed) throw new XaiError('the model has been disposed');
    checkImageBatch(this.input, batch, what);
  }
}

