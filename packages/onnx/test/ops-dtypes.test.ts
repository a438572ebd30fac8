/**
 * Operators on integer inputs and their optional outputs, found by the forward conformance test
 * (conformance-forward.test.ts) and checked here on their own, on both backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxGraph } from '../src/graph.js';
import type { Value } from '../src/ir.js';
import { onnx, type AttributeProto } from '../src/proto.js';
import { BACKENDS, useBackend } from './helpers.js';

const A = onnx.AttributeProto.AttributeType;
const FLOAT = 1, INT32 = 6, INT64 = 7, BOOL = 9;

interface Io {
  name: string;
  type: number;
}

/** A one-node graph whose inputs are all fed at run time. */
function oneNode(op: string, inputs: Io[], outputs: Io[], attribute: AttributeProto[] = [], opset = 17): OnnxGraph {
  const info = ({ name, type }: Io) => ({ name, type: { tensorType: { elemType: type } } });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: op,
      node: [{ opType: op, input: inputs.map((i) => i.name), output: outputs.map((o) => o.name), attribute }],
      input: inputs.map(info),
      output: outputs.map(info),
    },
  });
  return new OnnxGraph(onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish()), undefined, { inputs: 'any' });
}

async function run(graph: OnnxGraph, feeds: Record<string, tf.Tensor>): Promise<{ dtype: string; shape: number[]; values: number[] }[]> {
  const values = new Map<string, Value>(Object.entries(feeds).map(([k, t]) => [k, { kind: 'tensor', t, nhwc: false }]));
  const out = graph.runFeeds(values);
  const read = [...out.values()].map(async (v) => {
    if (v.kind === 'host') return { dtype: v.h.dtype, shape: v.h.shape, values: Array.from(v.h.data) };
    return { dtype: v.t.dtype, shape: v.t.shape, values: Array.from(await v.t.data()) };
  });
  const result = await Promise.all(read);
  for (const v of out.values()) if (v.kind === 'tensor') v.t.dispose();
  graph.dispose();
  tf.dispose(Object.values(feeds));
  return result;
}

describe.each(BACKENDS)('operators beyond float images on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('Clip keeps negative integers (wasm ClipByValue read int32 as float32)', async () => {
    const x = tf.tensor1d([-7, -1, 0, 5, 100000], 'int32');
    const [unbounded] = await run(oneNode('Clip', [{ name: 'x', type: INT32 }], [{ name: 'y', type: INT32 }]), { x: x.clone() });
    expect(unbounded).toEqual({ dtype: 'int32', shape: [5], values: [-7, -1, 0, 5, 100000] });
    const bounds = [{ name: 'x', type: INT32 }, { name: 'lo', type: INT32 }, { name: 'hi', type: INT32 }];
    const [clipped] = await run(oneNode('Clip', bounds, [{ name: 'y', type: INT32 }]), { x, lo: tf.scalar(-2, 'int32'), hi: tf.scalar(3, 'int32') });
    expect(clipped.values).toEqual([-2, -1, 0, 3, 3]);
  });

  it('Pow gives the base type: integer powers exact, float exponents truncated', async () => {
    const io = (b: number, e: number) => oneNode('Pow', [{ name: 'x', type: b }, { name: 'y', type: e }], [{ name: 'z', type: b }]);
    const [ints] = await run(io(INT64, INT64), { x: tf.tensor1d([3, 2, -3], 'int32'), y: tf.tensor1d([3, 10, 3], 'int32') });
    expect(ints).toEqual({ dtype: 'int32', shape: [3], values: [27, 1024, -27] });
    const [floatExponent] = await run(io(INT32, FLOAT), { x: tf.tensor1d([1, 2, 3, 2], 'int32'), y: tf.tensor1d([1, 2, 3, 0.5]) });
    expect(floatExponent).toEqual({ dtype: 'int32', shape: [4], values: [1, 4, 27, 1] });
  });

  it('MaxPool pools an integer image and keeps its type (wasm pools float32 only)', async () => {
    const x = tf.tensor4d([1, 200, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3], 'int32');
    const kernel = { name: 'kernel_shape', type: A.INTS, ints: [2, 2] };
    const [y] = await run(oneNode('MaxPool', [{ name: 'x', type: 2 }], [{ name: 'y', type: 2 }], [kernel]), { x });
    expect(y).toEqual({ dtype: 'int32', shape: [1, 2, 2, 1], values: [200, 200, 8, 9] });
  });

  it('LayerNormalization gives Mean and InvStdDev with the normalised axes kept as ones', async () => {
    const x = tf.tensor2d([1, 2, 3, 4, 6, 8], [2, 3]);
    const outputs = [{ name: 'y', type: FLOAT }, { name: 'mean', type: FLOAT }, { name: 'inv', type: FLOAT }];
    const epsilon = { name: 'epsilon', type: A.FLOAT, f: 0 };
    const [y, mean, inv] = await run(oneNode('LayerNormalization', [{ name: 'x', type: FLOAT }], outputs, [epsilon]), { x });
    expect(mean).toEqual({ dtype: 'float32', shape: [2, 1], values: [2, 6] });
    expect(inv.shape).toEqual([2, 1]);
    expect(inv.values[0]).toBeCloseTo(Math.sqrt(3 / 2), 5);
    expect(inv.values[1]).toBeCloseTo(Math.sqrt(3 / 8), 5);
    expect(y.values[2]).toBeCloseTo(Math.sqrt(3 / 2), 5);
  });

  it('Dropout in training mode is refused unless its ratio is 0', async () => {
    const inputs = [{ name: 'x', type: FLOAT }, { name: 'r', type: FLOAT }, { name: 't', type: BOOL }];
    const feeds = () => ({ x: tf.ones([2, 2]), t: tf.scalar(true, 'bool') });
    await expect(run(oneNode('Dropout', inputs, [{ name: 'y', type: FLOAT }]), { ...feeds(), r: tf.scalar(0.5) })).rejects.toThrow(
      'Dropout node "#0": training_mode true with ratio 0.5 drops random values: export the model in inference mode',
    );
    const [y] = await run(oneNode('Dropout', inputs, [{ name: 'y', type: FLOAT }]), { ...feeds(), r: tf.scalar(0) });
    expect(y.values).toEqual([1, 1, 1, 1]);
    tf.dispose(Object.values(feeds()));
  });
});

it('BatchNormalization in training mode is refused at load', () => {
  const stats = ['scale', 'bias', 'mean', 'var'].map((name) => ({ name, dims: [1], dataType: FLOAT, floatData: [1] }));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 15 }],
    graph: {
      name: 'bn',
      node: [{ opType: 'BatchNormalization', input: ['x', ...stats.map((s) => s.name)], output: ['y'], attribute: [{ name: 'training_mode', type: A.INT, i: 1 }] }],
      initializer: stats,
      input: [{ name: 'x', type: { tensorType: { elemType: FLOAT } } }],
      output: [{ name: 'y', type: { tensorType: { elemType: FLOAT } } }],
    },
  });
  expect(() => new OnnxGraph(model, undefined, { inputs: 'any' })).toThrow('BatchNormalization node "#0": training_mode 1 (batch statistics) is not supported');
});
