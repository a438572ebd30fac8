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
  Conv: [1, 2], BatchNormalization: [1, 2, 3, 4], LayerNormalization: [1, 2], Pow: [1], Clip: [1, 2], Gemm: [], MatMul: [],
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

/** Tolerance of a float32 gradient against float64 finite differences (or a float32 tfjs gradient). */
export const BACKWARD_TOLERANCE = 1e-3;

/** Runs the check for one case (the node's inputs of float type are differentiated, weights held). */
export async function checkBackward(c: ConformanceCase): Promise<BackwardOutcome> {
  if (c.unreadable) return { status: 'not applicable', reason: c.unreadable };
  const output = c.outputs[0];
  if (!output || !isFloat(output)) return { status: 'not applicable', reason: 'its first output is not float32' };
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
  const f32 = (t: CaseTensor) => new ort.Tensor('float32', Float32Array.from(t.data), t.dims);
  const session = await ort.InferenceSession.create(graph.bytes, { logSeverityLevel: 3 });
  const result = await session.run({
    ...Object.fromEntries(wrt.map((t) => [t.name, f32(t)])),
    [graph.names.seed]: new ort.Tensor('float32', Float32Array.from(seed), [rows, sizeOf(output.dims) / rows]),
  });
  await session.release();
  const ours = wrt.map((t) => result[graph.names.gradients[t.name]].data as Float32Array);
  const reference = (await finiteDifferences(model, wrt, output.name, seed, random)) ?? tfjsGradients(model, wrt, output, seed);
  const error = Math.max(...reference.gradients.map((g, i) => relativeError(ours[i], g)));
  if (!(error <= BACKWARD_TOLERANCE)) return { status: 'failed', reason: `max error ${error.toExponential(2)} × max|reference| against ${reference.kind}` };
  return { status: 'passed', reference: reference.kind, error };
}

/** Every element's derivative of `Σ seed·f` by central differences in float64; undefined where onnxruntime has no float64 kernel. */
async function finiteDifferences(
  model: ModelProto, wrt: CaseTensor[], output: string, seed: Float64Array, _random: () => number,
): Promise<{ kind: 'finite differences'; gradients: Float64Array[] } | undefined> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(inDouble(model), { logSeverityLevel: 4, graphOptimizationLevel: 'disabled' });
  } catch {
    return undefined;
  }
  const values = wrt.map((t) => Float64Array.from(t.data));
  const objective = async () => {
    const out = await session.run(Object.fromEntries(wrt.map((t, i) => [t.name, new ort.Tensor('float64', values[i], t.dims)])));
    const y = out[output].data as Float64Array;
    let sum = 0;
    for (let k = 0; k < y.length; k++) sum += seed[k] * y[k];
    return sum;
  };
  try {
    await objective();
  } catch {
    await session.release();
    return undefined;
  }
  const gradients: Float64Array[] = [];
  for (const v of values) {
    const g = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const h = 1e-6 * Math.max(1, Math.abs(x));
      v[i] = x + h;
      const up = await objective();
      v[i] = x - h;
      const down = await objective();
      v[i] = x;
      g[i] = (up - down) / (2 * h);
    }
    gradients.push(g);
  }
  await session.release();
  return { kind: 'finite differences', gradients };
}

/** `tf.grads` of `Σ seed·f` through the tfjs graph (cpu backend). */
function tfjsGradients(model: ModelProto, wrt: CaseTensor[], output: CaseTensor, seed: Float64Array): { kind: 'tfjs'; gradients: Float64Array[] } {
  const graph = new OnnxGraph(model, undefined, { inputs: 'any' });
  try {
    return tf.tidy(() => {
      const weights = tf.tensor(Float32Array.from(seed), output.dims);
      const objective = (...xs: tf.Tensor[]) => {
        const feeds = new Map(wrt.map((t, i) => [t.name, { kind: 'tensor' as const, t: xs[i], nhwc: false }]));
        const y = graph.runFeeds(feeds, { fetch: [output.name], differentiable: true }).get(output.name)!;
        if (y.kind !== 'tensor') throw new Error('the output is a constant');
        return tf.sum(tf.mul(y.nhwc ? tf.transpose(y.t, TO_NCHW) : y.t, weights)) as tf.Scalar;
      };
      const grads = tf.grads(objective)(wrt.map((t) => tf.tensor(Float32Array.from(t.data), t.dims)));
      return { kind: 'tfjs' as const, gradients: grads.map((g) => Float64Array.from(g.dataSync())) };
    });
  } finally {
    graph.dispose();
  }
}
