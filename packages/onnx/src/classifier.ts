import * as tf from '@tensorflow/tfjs-core';
import {
  XaiError, checkBackwardRule, classesPerRow, classifierOutputClasses, readValues, resolvePreprocessing,
  type Classifier, type InputGradientOptions, type InputSpec, type LayerGradient, type LayerHandle, type LayerInfo, type Preprocessing,
  type RandomiseOptions,
} from '@xai/core';
import { foldShapeChains } from './fold.js';
import { OnnxGraph, UnsupportedOperatorsError } from './graph.js';
import { buildGradientGraph, type ForwardModel, type GradientGraph } from './gradient/build.js';
import { OrtGradients, type GradientRunRequest } from './gradient/engine.js';
import { chooseOutput, checkImageBatch, inputSpec, MAX_INPUT_VALUES, modelShape } from './interface.js';
import { LayerIndex } from './layer-index.js';
import { toFeatureMap } from './layer-view.js';
import { TO_NCHW, TO_NHWC } from './ops/context.js';
import type { OnnxModelOptions, OnnxSource } from './options.js';
import { createOrtRunner } from './ort.js';
import { OrtPredictor } from './ort-predict.js';
import { decodeModel } from './proto.js';
import { randomisedModelBytes, weightedNodes } from './randomise.js';
import { measureValues, type ValueRecord } from './shape-pass.js';
import { forwardFromOnGraph, inputGradientsOnGraph, inputValue, layerGradientOnGraph, predictOnGraph, type GraphModel } from './tfjs-passes.js';

const FOLD_MAX_PIXELS = 1024 * 1024;

/** The tfjs graph of the model; operators it lacks throw an `UnsupportedOperatorsError`, as is. */
function openGraph(source: OnnxSource): OnnxGraph {
  const model = decodeModel(source.bytes, source.name);
  try {
    return new OnnxGraph(model, source.readExternal);
  } catch (error) {
    if (error instanceof UnsupportedOperatorsError) throw error;
    if (error instanceof XaiError) throw new XaiError(`${source.name}: ${error.message}`, { cause: error.cause });
    throw new XaiError(`${source.name} could not be loaded: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A PyTorch (or any ONNX) image classifier, white-box: forward passes and gradients on onnxruntime
 * (gradients through gradient graphs of standard ONNX operators), or on the differentiable tfjs
 * graph (`engine: 'tfjs'`, and where onnxruntime is missing or a gradient graph cannot be built).
 */
export class OnnxClassifier implements Classifier, GraphModel {
  readonly input: InputSpec;
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
  readonly graph: OnnxGraph;
  private classes?: number;
  private predictor?: OrtPredictor;
  private gradients?: OrtGradients;
  /** Why a gradient graph could not be built, when gradients fell back to the tfjs graph. */
  private gradientFallback?: string;
  private records?: Map<string, ValueRecord>;
  private index?: LayerIndex;
  private disposed = false;
  /** What the model was loaded from and with, for copies (`randomisedCopy`). */
  private readonly source: { from: OnnxSource; options: OnnxModelOptions };

  private constructor(graph: OnnxGraph, input: InputSpec, source: OnnxSource, options: OnnxModelOptions) {
    this.graph = graph;
    this.input = input;
    this.source = { from: source, options };
    this.inputName = graph.input.name;
    this.outputName = chooseOutput(graph.outputs, options.output, source.name).name;
    this.preprocessing = resolvePreprocessing(options.preprocessing);
    const batch = graph.input.dims?.[0];
    if (typeof batch === 'number' && batch > 0) {
      // The shape pass and every forward pass run whole fixed batches.
      if (batch * input.height * input.width * input.channels > MAX_INPUT_VALUES) {
        throw new XaiError(
          `${source.name}: the input "${this.inputName}" has a fixed batch of ${batch}; ${batch} images of ${input.height}×${input.width}×${input.channels} are more than supported (${MAX_INPUT_VALUES} values per run)`,
        );
      }
      this.fixedBatch = batch;
    }
    // The declared output first (before anything runs); dynamic axes are measured by the shape pass.
    const declared = graph.outputs.find((o) => o.name === this.outputName)!.dims;
    if (declared) this.classes = classifierOutputClasses(declared, { model: source.name, output: this.outputName, batch: this.fixedBatch });
    if (options.classNames) this.classNames = [...options.classNames];
  }

  /**
   * Builds the classifier from model bytes (see `loadOnnxModel`). A graph with operators the tfjs
   * graph lacks throws an `UnsupportedOperatorsError` (the loader then opens it as a black box).
   */
  static async create(source: OnnxSource, options: OnnxModelOptions = {}): Promise<OnnxClassifier> {
    if (options.engine !== undefined && !['auto', 'tfjs', 'onnxruntime'].includes(options.engine)) {
      throw new XaiError(`Unknown engine "${String(options.engine)}"; accepted: auto, tfjs, onnxruntime`);
    }
    const graph = openGraph(source);
    let classifier: OnnxClassifier | undefined;
    try {
      const input = inputSpec(graph.input, options.inputSize, source.name);
      classifier = new OnnxClassifier(graph, input, source, options);
      const model = classifier;
      // Folding runs the graph twice; above 1024×1024 shape arithmetic just stays on the host.
      if (graph.nodes.some((n) => n.op === 'Shape') && input.height * input.width <= FOLD_MAX_PIXELS) {
        // With a fixed batch, every Shape entry is a constant: one batch size, seen twice.
        const batches = model.fixedBatch ? [model.fixedBatch, model.fixedBatch] : [1, 2];
        foldShapeChains(graph, (b) => model.zerosInput(b), batches as [number, number]);
      }
      // Measured now, so the tensors a first run caches belong to loading, not to a later call.
      model.shapes();
      model.checkOutput(source.name, options.classNames);
      if (options.engine !== 'tfjs') await model.openOrt();
      return model;
    } catch (error) {
      classifier?.dispose();
      if (!classifier) graph.dispose();
      if (error instanceof XaiError) throw error;
      throw new XaiError(`${source.name}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Opens the onnxruntime session for `predict`, and makes gradient graphs ready to build. */
  private async openOrt(): Promise<void> {
    const { from, options } = this.source;
    const open = from.openOrt ?? createOrtRunner;
    const sessionOptions = { threads: options.threads, externalData: options.externalData, ort: options.ort };
    const found = await open(from.ortModel ?? from.bytes, this.inputName, this.outputName, sessionOptions);
    if (!found.runner) {
      if (options.engine === 'onnxruntime') throw new XaiError(`engine "onnxruntime" was asked for, but ${found.name} is unusable: ${found.reason}`);
      return;
    }
    this.predictor = new OrtPredictor(found.runner, () => this.ortModel);
    this.gradients = new OrtGradients(
      this.forwardModel(),
      async (graph) => {
        const opened = await open(graph.bytes, graph.names.image, graph.names.logits, { ...sessionOptions, externalData: undefined, memoryPattern: false });
        if (!opened.runner) throw new XaiError(`${opened.name} could not open the gradient graph: ${opened.reason}`);
        return opened.runner;
      },
      found.runner.engine,
      this.numClasses,
      this.fixedBatch,
    );
  }

  /** Nodes that read weights (float initializers), by module path (`layer4.1.conv2`, `fc`) or node name; in graph order. */
  parameterLayers(): string[] {
    return weightedNodes(decodeModel(this.source.from.bytes, this.source.from.name)).map((n) => n.name);
  }

  /**
   * A new classifier from a re-encoded copy of the model, the initializers of `layers`
   * re-initialised (see `randomisedModelBytes`); loaded as this one was (engine, preprocessing,
   * class names). The model's file and bytes are not touched.
   */
  async randomisedCopy(layers: readonly string[], { seed }: RandomiseOptions): Promise<OnnxClassifier> {
    const { from, options } = this.source;
    const bytes = randomisedModelBytes(from.bytes, layers, seed, from.readExternal);
    const copyOptions = { ...options, preprocessing: this.preprocessing, classNames: this.classNames };
    return OnnxClassifier.create({ bytes, name: `${from.name} (layers re-initialised)`, readExternal: from.readExternal, openOrt: from.openOrt }, copyOptions);
  }

  /** Logits per image: K of the output [batch, K] (extra axes of size 1 dropped), checked at load. */
  get numClasses(): number {
    this.classes ??= (this.shapes().get(this.outputName)?.shape ?? []).slice(1).reduce((a, b) => a * b, 1);
    return this.classes;
  }

  /** Who runs `predict`, and the fixed batch size it runs in, if any (`onnxruntime-node (fixed batch 1)`). */
  get engine(): string {
    const engine = this.predictor ? this.predictor.engine : `tfjs:${tf.getBackend()}`;
    return this.fixedBatch ? `${engine} (fixed batch ${this.fixedBatch})` : engine;
  }

  /** Who computes gradients: onnxruntime's gradient graphs, or the tfjs graph (and why, when it fell back). */
  get gradientEngine(): string {
    if (this.gradients && !this.gradientFallback) return `${this.gradients.engine} (gradient graph)`;
    const tfjs = `tfjs:${tf.getBackend()}`;
    return this.gradientFallback ? `${tfjs} (${this.gradientFallback})` : tfjs;
  }

  /** Logits `[B, numClasses]` for a preprocessed NHWC batch. */
  async predict(batch: tf.Tensor4D): Promise<tf.Tensor2D> {
    this.checkBatch(batch, 'predict');
    if (this.predictor) return this.predictor.predict(batch);
    return predictOnGraph(this, batch);
  }

  /**
   * Present when onnxruntime runs `predict`: logits for host values in the model's layout (see
   * `Classifier.predictValues`).
   */
  get predictValues(): ((values: Float32Array, rows: number) => Promise<tf.Tensor2D>) | undefined {
    const predictor = this.predictor;
    if (!predictor) return undefined;
    return (values, rows) => {
      if (this.disposed) return Promise.reject(new XaiError('the model has been disposed'));
      return predictor.predictValues(values, rows);
    };
  }

  /** The forward pass on the tfjs graph (what `predict` does without onnxruntime). */
  predictTfjs(batch: tf.Tensor4D): tf.Tensor2D {
    this.checkBatch(batch, 'predict');
    return predictOnGraph(this, batch);
  }

  private get ortModel() {
    return { unit: this.fixedBatch, numClasses: this.numClasses, outputName: this.outputName, input: this.input };
  }

  /**
   * The output contract, on the shape pass: the output is `[batch, K]` (axes of size 1 after the
   * batch dropped), else the model is refused with the shape seen and what is accepted.
   */
  private checkOutput(name: string, classNames: readonly string[] | undefined): void {
    const record = this.shapes().get(this.outputName);
    if (!record) throw new XaiError(`${name}: the output "${this.outputName}" was not computed by the shape pass`);
    if (record.host) throw new XaiError(`${name}: the output "${this.outputName}" is a constant (it does not depend on the input image)`);
    this.classes = classifierOutputClasses(record.shape, { model: name, output: this.outputName, batch: this.fixedBatch ?? 1 })!;
    if (classNames && classNames.length !== this.classes) {
      throw new XaiError(`classNames has ${classNames.length} names but the model has ${this.classes} classes`);
    }
  }

  layers(): LayerInfo[] {
    return this.layerIndex().layers();
  }

  /** Maps a module path or a raw tensor name to a handle on the tensor it names. */
  resolveLayer(layer: string): LayerHandle {
    return this.layerIndex().resolve(layer);
  }

  async activationsAndGradient(image: tf.Tensor4D, layer: LayerHandle, classIndex: number): Promise<LayerGradient> {
    this.checkBatch(image, 'activationsAndGradient');
    if (image.shape[0] !== 1) throw new XaiError(`activationsAndGradient takes one image [1, H, W, C], got a batch of ${image.shape[0]}`);
    const [c] = classesPerRow(classIndex, 1, this.numClasses);
    const record = this.layerIndex().featureRecord(layer);
    const request = { layers: [{ label: layer.name, value: layer.output }] };
    if (!(await this.gradientGraphReady(request))) return layerGradientOnGraph(this, image, layer, record, c);
    return (await this.layerGradientsOnOrt(image, [layer], [record], [c]))[0][0];
  }

  /**
   * Present when onnxruntime computes gradients: every layer and class of one image in one run
   * of a gradient graph (see `Classifier.layerGradients`); the image repeated once per class.
   */
  get layerGradients(): ((image: tf.Tensor4D, layers: readonly LayerHandle[], classes: readonly number[]) => Promise<LayerGradient[][]>) | undefined {
    if (!this.gradients) return undefined;
    return async (image, layers, classes) => {
      this.checkBatch(image, 'layerGradients');
      if (image.shape[0] !== 1) throw new XaiError(`layerGradients takes one image [1, H, W, C], got a batch of ${image.shape[0]}`);
      const rows = classesPerRow(classes, classes.length, this.numClasses);
      const records = layers.map((layer) => this.layerIndex().featureRecord(layer));
      const request = { layers: layers.map((layer) => ({ label: layer.name, value: layer.output })) };
      if (!(await this.gradientGraphReady(request))) {
        const passes: LayerGradient[][] = [];
        for (const layer of layers) {
          const row: LayerGradient[] = [];
          passes.push(row);
          for (const c of rows) row.push(await this.activationsAndGradient(image, layer, c));
        }
        return passes;
      }
      return this.layerGradientsOnOrt(image, layers, records, rows);
    };
  }

  /** One run of the layers' gradient graph, the image repeated once per class: `[layer][class]`. */
  private async layerGradientsOnOrt(image: tf.Tensor4D, layers: readonly LayerHandle[], records: readonly ValueRecord[], rows: readonly number[]): Promise<LayerGradient[][]> {
    const request = { layers: layers.map((layer) => ({ label: layer.name, value: layer.output })) };
    const one = await this.imageValues(image);
    const images = new Float32Array(one.length * rows.length);
    rows.forEach((_, r) => images.set(one, r * one.length));
    const pass = await this.gradients!.run(request, images, modelShape(this.input, 1), this.seeds(rows), rows.length);
    return tf.tidy(() => {
      const logits = tf.tensor2d(pass.logits, [rows.length, this.numClasses]);
      return layers.map((layer, l) => {
        const asMaps = (v: { data: Float32Array; dims: number[] }) => toFeatureMap(records[l].view, tf.tensor(v.data, v.dims), false);
        const [activations, gradients] = [asMaps(pass.activations[layer.name]), asMaps(pass.gradients[layer.name])];
        return rows.map((_, r) => {
          const row = (t: tf.Tensor) => tf.keep(tf.slice(t, [r, 0, 0, 0], [1, ...t.shape.slice(1)]) as tf.Tensor4D);
          return { activations: row(activations), gradient: row(gradients), logits: tf.keep(tf.slice(logits, [r, 0], [1, this.numClasses])) };
        });
      });
    });
  }

  /**
   * `∂y_c/∂x` per image (see `Classifier.inputGradients`): on onnxruntime, one run of the input
   * gradient graph for the whole batch; on the tfjs graph as exported otherwise. The rule
   * `guided` replaces the backward of every ONNX `Relu` node (Guided Backprop); `Clip(0, 6)`,
   * `LeakyRelu` and other activations keep their own.
   */
  async inputGradients(batch: tf.Tensor4D, classes: number | readonly number[], options: InputGradientOptions = {}): Promise<tf.Tensor4D> {
    this.checkBatch(batch, 'inputGradients');
    const rule = checkBackwardRule(options.rule);
    const rows = classesPerRow(classes, batch.shape[0], this.numClasses);
    const request: GradientRunRequest = { input: true, rule };
    if (batch.shape[0] === 0 || !(await this.gradientGraphReady(request))) return inputGradientsOnGraph(this, batch, classes, { rule });
    const pass = await this.gradients!.run(request, await this.imageValues(batch), modelShape(this.input, 1), this.seeds(rows), rows.length);
    const g = pass.input!;
    return tf.tidy(() => {
      const t = tf.tensor4d(g.data, g.dims as [number, number, number, number]);
      return this.input.layout === 'NCHW' ? (tf.transpose(t, TO_NHWC) as tf.Tensor4D) : t;
    });
  }

  /**
   * True when onnxruntime computes this variant; false (gradients from the tfjs graph) without
   * onnxruntime or when its gradient graph cannot be built (an operator without a backward recipe,
   * which `gradientEngine` then names).
   */
  private async gradientGraphReady(request: GradientRunRequest): Promise<boolean> {
    if (!this.gradients) return false;
    try {
      await this.gradients.graph(request);
      return true;
    } catch (error) {
      if (!(error instanceof XaiError) || !/^the gradient graph|^the model was exported at opset/.test(error.message)) throw error;
      this.gradientFallback = error.message;
      return false;
    }
  }

  /** One-hot seed rows: row r selects the logit of `classes[r]`. */
  private seeds(classes: readonly number[]): Float32Array {
    const k = this.numClasses;
    const seeds = new Float32Array(classes.length * k);
    classes.forEach((c, r) => (seeds[r * k + c] = 1));
    return seeds;
  }

  /** An NHWC batch's values in the model's layout. */
  private async imageValues(batch: tf.Tensor4D): Promise<Float32Array> {
    if (this.input.layout !== 'NCHW') return (await batch.data()).slice() as Float32Array;
    const laidOut = tf.transpose(batch, TO_NCHW);
    try {
      return await readValues(laidOut);
    } finally {
      laidOut.dispose();
    }
  }

  async forwardFrom(image: tf.Tensor4D, layer: LayerHandle, activations: tf.Tensor4D): Promise<tf.Tensor2D> {
    this.checkBatch(image, 'forwardFrom');
    if (this.fixedBatch && image.shape[0] !== 1) throw new XaiError(`forwardFrom takes one image [1, H, W, C], got a batch of ${image.shape[0]}`);
    return forwardFromOnGraph(this, image, layer, this.layerIndex().featureRecord(layer), activations);
  }

  /** Operators left in the tfjs graph after load-time folding, with their counts. */
  opCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.graph.nodes) counts[n.op] = (counts[n.op] ?? 0) + 1;
    return counts;
  }

  /**
   * The gradient graph of this model as a standalone ONNX model (see `xai gradients`): inputs the
   * image and `seed [B, K]`; outputs the logits, and the activations and gradients of `layers`
   * and/or the image. Built from the model's own bytes; needs no onnxruntime.
   */
  gradientGraph(request: GradientRunRequest): GradientGraph {
    return buildGradientGraph(this.forwardModel(), request);
  }

  /** The forward model as the gradient-graph builder reads it: its bytes, names, measured shapes and folded constants. */
  private forwardModel(): ForwardModel {
    const records = this.shapes();
    const { from } = this.source;
    return {
      bytes: from.bytes, name: from.name, inputName: this.inputName, outputName: this.outputName, readExternal: from.readExternal,
      shapeOf: (name) => records.get(name)?.shape, constants: this.graph.constants,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.graph.dispose();
    this.predictor?.dispose();
    this.gradients?.dispose();
  }

  /** The shape pass (run once, on first need). */
  private shapes(): Map<string, ValueRecord> {
    if (this.records) return this.records;
    const input = this.zerosInput(this.fixedBatch ?? 1);
    try {
      this.records = measureValues(this.graph, input, this.outputName, this.fixedBatch ?? 1, this.input);
    } finally {
      if (input.kind === 'tensor') input.t.dispose();
    }
    return this.records;
  }

  private layerIndex(): LayerIndex {
    this.index ??= new LayerIndex(this.graph, this.shapes(), this.inputName, this.outputName, this);
    return this.index;
  }

  /** A zero image batch as the graph's input value. */
  private zerosInput(batch: number) {
    const { height, width, channels } = this.input;
    return inputValue(this, tf.zeros([batch, height, width, channels]) as tf.Tensor4D);
  }

  private checkBatch(batch: tf.Tensor, what: string): void {
    if (this.disposed) throw new XaiError('the model has been disposed');
    checkImageBatch(this.input, batch, what);
  }
}
