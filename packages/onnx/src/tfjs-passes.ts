import * as tf from '@tensorflow/tfjs-core';
import {
  XaiError, inFixedBatches, inputGradientsOf, runFromLayer,
  type InputGradientOptions, type InputSpec, type LayerGradient, type LayerHandle,
} from '@xai/core';
import type { OnnxGraph } from './graph.js';
import type { Value } from './ir.js';
import { fromFeatureMap, toFeatureMap } from './layer-view.js';
import { TO_NCHW, TO_NHWC } from './ops/context.js';
import type { ValueRecord } from './shape-pass.js';

/** What the passes on the tfjs graph need of an ONNX classifier. */
export interface GraphModel {
  readonly graph: OnnxGraph;
  readonly input: InputSpec;
  readonly outputName: string;
  readonly numClasses: number;
  /** The model's fixed batch, if it has one. */
  readonly fixedBatch?: number;
}

/** The batch size the graph runs at when one image is given: 1, or the fixed batch. */
function batchUnit(m: GraphModel): number {
  return m.fixedBatch ?? 1;
}

/** An NHWC image batch as the graph's input value. */
export function inputValue(m: GraphModel, batch: tf.Tensor4D): Value {
  return { kind: 'tensor', t: batch, nhwc: m.input.layout === 'NCHW' };
}

/** The model's output value as logits `[rows, numClasses]`. */
export function logitsOf(m: GraphModel, out: Value, rows: number): tf.Tensor2D {
  if (out.kind !== 'tensor') throw new XaiError('the model output is a constant');
  return tf.reshape(out.nhwc ? tf.transpose(out.t, TO_NCHW) : out.t, [rows, m.numClasses]) as tf.Tensor2D;
}

/** The image repeated to the batch unit (itself when that is 1). */
function toUnit(m: GraphModel, image: tf.Tensor4D): tf.Tensor4D {
  const unit = batchUnit(m);
  return unit > 1 ? (tf.tile(image, [unit, 1, 1, 1]) as tf.Tensor4D) : image;
}

/** Row 0 of a batch-unit result (the tensor itself at unit 1), disposing the rest. */
function firstRow(m: GraphModel, t: tf.Tensor): tf.Tensor {
  if (batchUnit(m) === 1) return t;
  const row = tf.slice(t, t.shape.map(() => 0), [1, ...t.shape.slice(1)]);
  t.dispose();
  return row;
}

/** The forward pass (the fast plan: Conv fused with its ReLU). */
export function predictOnGraph(m: GraphModel, batch: tf.Tensor4D): tf.Tensor2D {
  const run = (x: tf.Tensor) => {
    const out = m.graph.run(inputValue(m, x as tf.Tensor4D), { eager: true, plan: 'fast' }).get(m.outputName)!;
    return tf.tidy(() => {
      const logits = logitsOf(m, out, x.shape[0]);
      if (out.kind === 'tensor' && out.t !== x) out.t.dispose();
      return logits;
    });
  };
  return m.fixedBatch ? inFixedBatches(batch, m.fixedBatch, run) : run(batch);
}

/** Activations at a layer and the gradient of one class logit there, for one image, by `tf.grad`. */
export function layerGradientOnGraph(m: GraphModel, image: tf.Tensor4D, layer: LayerHandle, record: ValueRecord, classIndex: number): LayerGradient {
  const physical = record.nhwc ? TO_NHWC.map((a) => record.shape[a]) : record.shape;
  let activations: tf.Tensor | undefined;
  let logits: tf.Tensor2D | undefined;
  const unit = batchUnit(m);
  const tiled = toUnit(m, image);
  const given = inputValue(m, tiled);
  const f = (z: tf.Tensor): tf.Scalar => {
    const out = m.graph.run(given, {
      fetch: [m.outputName],
      differentiable: true,
      onValue: (name, value) => {
        if (name !== layer.output || value.kind !== 'tensor') return;
        activations = tf.keep(value.t.clone());
        return { ...value, t: tf.add(value.t, z) };
      },
    });
    const l = tf.slice(logitsOf(m, out.get(m.outputName)!, unit), [0, 0], [1, m.numClasses]);
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
  const toMap = (t: tf.Tensor): tf.Tensor4D => {
    const row = firstRow(m, t);
    const out = toFeatureMap(record.view, row, record.nhwc);
    row.dispose();
    return out;
  };
  return { activations: toMap(activations), gradient: toMap(gradient), logits };
}

/**
 * `∂y_c/∂x` per image on the graph as exported (the exact plan: every Relu node runs as its own
 * `tf.relu`, which the `guided` rule replaces), in batches of the fixed batch size if any.
 */
export async function inputGradientsOnGraph(
  m: GraphModel,
  batch: tf.Tensor4D,
  classes: number | readonly number[],
  options?: InputGradientOptions,
): Promise<tf.Tensor4D> {
  const model = {
    input: m.input,
    numClasses: m.numClasses,
    fixedBatch: m.fixedBatch,
    logits: (x: tf.Tensor4D) =>
      logitsOf(m, m.graph.run(inputValue(m, x), { fetch: [m.outputName], plan: 'exact', differentiable: true }).get(m.outputName)!, x.shape[0]),
  };
  try {
    return await inputGradientsOf(model, batch, classes, options);
  } catch (error) {
    if (error instanceof XaiError) throw error;
    throw new XaiError(`input gradients could not be computed on ${tf.getBackend()}: ${(error as Error).message}`, { cause: error });
  }
}

/** The value (as the graph holds it) of `name` for one image, row 0 of the batch unit. */
function valueAt(m: GraphModel, image: tf.Tensor4D, name: string): tf.Tensor {
  return tf.tidy(() => {
    const v = m.graph.run(inputValue(m, toUnit(m, image)), { fetch: [name] }).get(name)!;
    if (v.kind !== 'tensor') throw new XaiError(`"${name}" is a constant`);
    return batchUnit(m) > 1 ? tf.slice(v.t, v.t.shape.map(() => 0), [1, ...v.t.shape.slice(1)]) : v.t.clone();
  });
}

/** The logits of the network from `layer` on, the layer's output replaced by `activations` (see `Classifier.forwardFrom`). */
export function forwardFromOnGraph(m: GraphModel, image: tf.Tensor4D, layer: LayerHandle, record: ValueRecord, activations: tf.Tensor4D): tf.Tensor2D {
  // Tokens the map leaves out (the class token) keep the image's own values.
  const own = record.view.kind === 'tokens' && record.view.classToken ? valueAt(m, image, layer.output) : undefined;
  const run = (x: tf.Tensor4D, given: tf.Tensor) => {
    const replacement: Value = { kind: 'tensor', t: fromFeatureMap(record.view, given as tf.Tensor4D, record.nhwc, own), nhwc: record.nhwc };
    // Only the nodes after the layer (and those that bypass it) run.
    const out = m.graph.run(inputValue(m, x), { fetch: [m.outputName], given: new Map([[layer.output, replacement]]) }).get(m.outputName)!;
    return logitsOf(m, out, given.shape[0]);
  };
  try {
    if (m.fixedBatch) {
      // Batches of exactly the fixed size, each with the image repeated as often.
      return tf.tidy(() => {
        const tiled = toUnit(m, image);
        return inFixedBatches(activations, m.fixedBatch!, (chunk) => run(tiled, chunk));
      });
    }
    return tf.tidy(() => runFromLayer(image, activations.shape[0], (x) => run(x, activations)));
  } finally {
    own?.dispose();
  }
}
