import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { OnnxGraph } from '../src/graph.js';
import { onnx, type ModelProto } from '../src/proto.js';
import type { Value } from '../src/ir.js';
import { useBackend } from './helpers.js';

const valueInfo = (name: string, elemType: number, dims: number[]) => ({ name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } });

/** y = (a + b) · k with a float [2, 3], b float [3] and an int64 k [1] (a Cast to float). */
function twoInputModel(): ModelProto {
  return roundTrip({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'feeds',
      node: [
        { opType: 'Add', input: ['a', 'b'], output: ['s'] },
        { opType: 'Cast', input: ['k'], output: ['kf'], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
        { opType: 'Mul', input: ['s', 'kf'], output: ['y'] },
      ],
      input: [valueInfo('a', 1, [2, 3]), valueInfo('b', 1, [3]), valueInfo('k', 7, [1])],
      output: [valueInfo('y', 1, [2, 3]), valueInfo('s', 1, [2, 3])],
    },
  });
}

/** As read from a file (protobufjs sets which dim field is present only when decoding). */
function roundTrip(fields: Parameters<typeof onnx.ModelProto.create>[0]): ModelProto {
  return onnx.ModelProto.decode(onnx.ModelProto.encode(onnx.ModelProto.create(fields)).finish());
}

const t = (x: tf.Tensor): Value => ({ kind: 'tensor', t: x, nhwc: false });

describe('OnnxGraph with inputs: any', () => {
  beforeAll(() => useBackend('cpu'));

  it('runs a graph with several inputs of different types, fed by name', async () => {
    const g = new OnnxGraph(twoInputModel(), undefined, { inputs: 'any' });
    expect(g.inputs.map((i) => i.name)).toEqual(['a', 'b', 'k']);
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor1d([10, 20, 30]);
    const k = tf.tensor1d([2], 'int32');
    const before = tf.memory().numTensors;
    const out = g.runFeeds(new Map([['a', t(a)], ['b', t(b)], ['k', t(k)]]), { eager: true });
    const y = out.get('y')!, s = out.get('s')!;
    expect(y.kind === 'tensor' && Array.from(await y.t.data())).toEqual([22, 44, 66, 28, 50, 72]);
    expect(s.kind === 'tensor' && Array.from(await s.t.data())).toEqual([11, 22, 33, 14, 25, 36]);
    // Eager runs free intermediates but never the feeds, which stay the caller's.
    expect(a.isDisposed || b.isDisposed || k.isDisposed).toBe(false);
    for (const v of out.values()) if (v.kind === 'tensor') v.t.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, k]);
    g.dispose();
  });

  it('says which inputs were not fed and which names are not inputs', () => {
    const g = new OnnxGraph(twoInputModel(), undefined, { inputs: 'any' });
    const a = tf.zeros([2, 3]);
    expect(() => g.runFeeds(new Map([['a', t(a)]]))).toThrow('the inputs "b", "k" were not fed');
    expect(() => g.runFeeds(new Map([['a', t(a)], ['b', t(a)], ['k', t(a)], ['c', t(a)]]))).toThrow('"c" is not an input of the graph (its inputs: a, b, k)');
    a.dispose();
    g.dispose();
  });

  it('is refused by default: a classifier has one 4-D image input', () => {
    expect(() => new OnnxGraph(twoInputModel())).toThrow('the model has no 4-D image input (N, C, H, W); its inputs are: a [2, 3]; b [3]; k [1]');
  });

  it('accepts a graph without inputs (a Constant)', async () => {
    const model = roundTrip({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'constant',
        node: [{ opType: 'Constant', output: ['y'], attribute: [{ name: 'value_floats', type: onnx.AttributeProto.AttributeType.FLOATS, floats: [1.5, -2] }] }],
        output: [valueInfo('y', 1, [2])],
      },
    });
    const g = new OnnxGraph(model, undefined, { inputs: 'any' });
    expect(g.inputs).toEqual([]);
    const y = g.runFeeds(new Map()).get('y')!;
    expect(y.kind === 'host' && Array.from(y.h.data)).toEqual([1.5, -2]);
    g.dispose();
  });
});
