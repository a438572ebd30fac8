/**
 * Checks a backward recipe on a node-test case: the gradient graph of the case's model, run by
 * onnxruntime in float32, against central finite differences of the same model in float64 (run by
 * onnxruntime too), or — for operators onnxruntime has no float64 kernel for — against `tf.grads`
 * through the tfjs graph on the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { XaiError } from '@xai/core';
import { buildGradientGraph } from '../../src/gradient/build.js';
import { OnnxGraph } from '../../src/graph.js';
import { sizeOf } from '../../src/host.js';
import { TO_NCHW } from '../../src/ops/context.js';
import { onnx, type ModelProto, type TensorProto } from '../../src/proto.js';
import { decode, type CaseTensor, type ConformanceCase } from './cases.js';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const DOUBLE = onnx.TensorProto.DataType.DOUBLE;

/** Inputs that are weights, axes or bounds in exported models: held constant, not differentiated. */
const CONSTANT_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Conv: [1, 2], BatchNormalization: [1, 2, 3, 4], LayerNormalization: [1, 2], Pow: [1], Clip: [1, 2], Pad: [1, 2, 3], Dropout: [1, 2],
};

export type BackwardOutcome =
  | { status: 'passed'; reference: 'finite differences' | 'tfjs'; error: number }
  | { status: 'failed'; reason: string }
  | { status: 'refused'; reason: string }
  | { status: 'not applicable'; reason: string };

/** A seeded generator of numbers in [−1, 1). */
function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

function isFloat(t: CaseTensor): boolean {
  return t.dtype === 'float';
}

/** The case's model with `constants` baked in as initializers. */
function withInitializers(c: ConformanceCase, constants: readonly CaseTensor[]): ModelProto {
  const model = decode(c.modelBytes);
  model.graph!.initializer = [...(model.graph!.initializer ?? []), ...constants.map((t) => t.proto)];
  model.graph!.input = (model.graph!.input ?? []).filter((i) => !constants.some((t) => t.name === i.name));
  return model;
}

/** The same model computing in float64: float inputs, outputs, initializers and casts become double. */
function inDouble(model: ModelProto): Uint8Array {
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const graph = copy.graph!;
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    if (v.type?.tensorType?.elemType === FLOAT) v.type.tensorType.elemType = DOUBLE;
  }
  const toDouble = (t: TensorProto) => {
    if (t.dataType !== FLOAT) return;
    const values = t.rawData && t.rawData.length > 0 ? new Float32Array(t.rawData.slice().buffer) : Float32Array.from(t.floatData ?? []);
    t.dataType = DOUBLE;
    t.floatData = [];
    t.rawData = new Uint8Array(Float64Array.from(values).buffer);
  };
  for (const t of graph.initializer ?? []) toDouble(t);
  for (const n of graph.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.t) toDouble(a.t);
      if (n.opType === 'Cast' && a.name === 'to' && Number(a.i) === FLOAT) a.i = DOUBLE;
    }
  }
  return onnx.ModelProto.encode(copy).finish();
}

/** max |a − b| / max |b| (with max |b| at least 1e-3, so tiny gradients compare absolutely). */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1e-3;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** Tolerances of a float32 gradient against each reference. */
const TOLERANCE = { 'finite differences': 1e-3, tfjs: 1e-3, 'float32 finite differences': 2e-2 } as const;
type ReferenceKind = keyof typeof TOLERANCE;

/** Elementwise differences for inputs up to this many values; random directions above. */
const ELEMENTWISE_MAX = 256;
const DIRECTIONS = 6;

/** `Σ seed·f(values)` evaluated by some engine. */
type Objective = (values: readonly (Float32Array | Float64Array)[]) => Promise<number>;

/** Runs the check for one case (the node's inputs of float type are differentiated, weights held). */
export async function checkBackward(c: ConformanceCase): Promise<BackwardOutcome> {
  if (c.unreadable) return { status: 'not applicable', reason: c.unreadable };
  const output = c.outputs[0];
  if (!output || !isFloat(output)) return { status: 'not applicable', reason: 'its first output is not float32' };
  if ([...c.inputs, ...c.outputs].some((t) => sizeOf(t.dims) === 0)) return { status: 'not applicable', reason: 'a tensor has no elements' };
  const node = decode(c.modelBytes).graph!.node![0];
  const held = new Set((CONSTANT_INPUTS[c.op] ?? []).map((i) => node.input?.[i]).filter(Boolean));
  const wrt = c.inputs.filter((t) => isFloat(t) && !held.has(t.name));
  if (wrt.length === 0) return { status: 'not applicable', reason: 'no float32 input to differentiate' };
  const model = withInitializers(c, c.inputs.filter((t) => !wrt.includes(t)));
  const bytes = onnx.ModelProto.encode(model).finish();
  const shapes = new Map([...c.inputs, ...c.outputs].map((t) => [t.name, t.dims]));
  let graph;
  try {
    graph = buildGradientGraph(
      { bytes, name: c.name, inputName: wrt[0].name, outputName: output.name, shapeOf: (name) => shapes.get(name) },
      { layers: wrt.map((t) => ({ label: t.name, value: t.name })) },
    );
  } catch (error) {
    if (error instanceof XaiError) return { status: 'refused', reason: error.message };
    throw error;
  }
  const rows = output.dims.length > 0 ? output.dims[0] : 1;
  const random = seeded(sizeOf(output.dims) + wrt.length);
  const seed = Float64Array.from({ length: sizeOf(output.dims) }, random);
  let ours: Float32Array[];
  try {
    const session = await ort.InferenceSession.create(graph.bytes, { logSeverityLevel: 3 });
    const result = await session.run({
      ...Object.fromEntries(wrt.map((t) => [t.name, new ort.Tensor('float32', Float32Array.from(t.data), t.dims)])),
      [graph.names.seed]: new ort.Tensor('float32', Float32Array.from(seed), [rows, sizeOf(output.dims) / rows]),
    });
    await session.release();
    ours = wrt.map((t) => result[graph.names.gradients[t.name]].data as Float32Array);
  } catch (error) {
    return { status: 'failed', reason: `onnxruntime could not run the gradient graph: ${(error as Error).message.split('\n')[0]}` };
  }
  const reference = await referenceGradients(model, wrt, output, seed, random, ours);
  if (!reference) return { status: 'failed', reason: 'no reference could be computed' };
  const error = reference.error;
  if (!(error <= TOLERANCE[reference.kind])) return { status: 'failed', reason: `max error ${error.toExponential(2)} × max|reference| against ${reference.kind}` };
  return { status: 'passed', reference: reference.kind === 'tfjs' ? 'tfjs' : 'finite differences', error };
}

/** The first reference that can be computed, and our gradients' error against it. */
async function referenceGradients(
  model: ModelProto, wrt: CaseTensor[], output: CaseTensor, seed: Float64Array, random: () => number, ours: Float32Array[],
): Promise<{ kind: ReferenceKind; error: number } | undefined> {
  const double = await ortObjective(inDouble(model), wrt, output.name, seed, 'float64');
  if (double) {
    try {
      return { kind: 'finite differences', error: await finiteDifferences(double.objective, wrt, ours, random, 1e-6) };
    } finally {
      await double.release();
    }
  }
  try {
    const { gradients } = tfjsGradients(model, wrt, output, seed);
    return { kind: 'tfjs', error: Math.max(...gradients.map((g, i) => relativeError(ours[i], g))) };
  } catch {
    // the tfjs graph does not run this case either (an operator at a rank it lacks)
  }
  const single = await ortObjective(onnx.ModelProto.encode(model).finish(), wrt, output.name, seed, 'float32');
  if (!single) return undefined;
  try {
    return { kind: 'float32 finite differences', error: await finiteDifferences(single.objective, wrt, ours, random, 1e-2) };
  } finally {
    await single.release();
  }
}

/** `Σ seed·f` on onnxruntime in float64 or float32; undefined where onnxruntime has no kernel for it. */
async function ortObjective(
  bytes: Uint8Array, wrt: CaseTensor[], output: string, seed: Float64Array, type: 'float64' | 'float32',
): Promise<{ objective: Objective; release: () => Promise<void> } | undefined> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 4, graphOptimizationLevel: 'disabled' });
  } catch {
    return undefined;
  }
  const objective: Objective = async (values) => {
    const feeds = Object.fromEntries(wrt.map((t, i) => [t.name, new ort.Tensor(type, type === 'float64' ? Float64Array.from(values[i]) : Float32Array.from(values[i]), t.dims)]));
    const y = (await session.run(feeds))[output].data as Float64Array | Float32Array;
    let sum = 0;
    for (let k = 0; k < y.length; k++) sum += seed[k] * y[k];
    return sum;
  };
  try {
    await objective(wrt.map((t) => t.data));
  } catch {
    await session.release();
    return undefined;
  }
  return { objective, release: () => session.release() };
}

/**
 * Central differences of the objective, step `h·max(1, |x|)`: every element's derivative for
 * small inputs, else derivatives along random directions (compared with ⟨gradient, direction⟩).
 * Returns our gradients' error relative to the reference's largest value.
 */
async function finiteDifferences(objective: Objective, wrt: CaseTensor[], ours: Float32Array[], random: () => number, h: number): Promise<number> {
  const values = wrt.map((t) => Float64Array.from(t.data));
  const total = values.reduce((n, v) => n + v.length, 0);
  const central = async (directions: Float64Array[], step: number) => {
    const shifted = (sign: number) => values.map((v, i) => v.map((x, k) => x + sign * step * directions[i][k]));
    return ((await objective(shifted(1))) - (await objective(shifted(-1)))) / (2 * step);
  };
  if (total <= ELEMENTWISE_MAX) {
    const errors: number[] = [];
    for (const [i, v] of values.entries()) {
      const g = new Float64Array(v.length);
      for (let k = 0; k < v.length; k++) {
        const directions = values.map((w, j) => new Float64Array(w.length).fill(0).map((_, m) => (j === i && m === k ? 1 : 0)));
        g[k] = await central(directions, h * Math.max(1, Math.abs(v[k])));
      }
      errors.push(relativeError(ours[i], g));
    }
    return Math.max(...errors);
  }
  const reference: number[] = [];
  const projected: number[] = [];
  const scale = Math.max(1, ...values.map((v) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0)));
  for (let d = 0; d < DIRECTIONS; d++) {
    const directions = values.map((v) => Float64Array.from(v, () => random()));
    reference.push(await central(directions, h * scale));
    projected.push(ours.reduce((sum, g, i) => sum + g.reduce((s, x, k) => s + x * directions[i][k], 0), 0));
  }
  return relativeError(projected, reference);
}

/** `tf.grads` of `Σ seed·f` through the tfjs graph (cpu backend). */
function tfjsGradients(model: ModelProto, wrt: CaseTensor[], output: CaseTensor, seed: Float64Array): { kind: 'tfjs'; gradients: Float64Array[] } {
  const graph = new OnnxGraph(model, undefined, { inputs: 'any' });
  try {
    let gradients: Float64Array[] = [];
    tf.tidy(() => {
      const weights = tf.tensor(Float32Array.from(seed), output.dims);
      const objective = (...xs: tf.Tensor[]) => {
        const feeds = new Map(wrt.map((t, i) => [t.name, { kind: 'tensor' as const, t: xs[i], nhwc: false }]));
        const y = graph.runFeeds(feeds, { fetch: [output.name], differentiable: true }).get(output.name)!;
        if (y.kind !== 'tensor') throw new Error('the output is a constant');
        return tf.sum(tf.mul(y.nhwc ? tf.transpose(y.t, TO_NCHW) : y.t, weights)) as tf.Scalar;
      };
      const grads = tf.grads(objective)(wrt.map((t) => tf.tensor(Float32Array.from(t.data), t.dims)));
      gradients = grads.map((g) => Float64Array.from(g.dataSync()));
    });
    return { kind: 'tfjs', gradients };
  } finally {
    graph.dispose();
  }
}
