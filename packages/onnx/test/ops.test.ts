import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../src/index.js';
import { onnx } from '../src/proto.js';
import { BACKENDS, relativeError, seeded, useBackend } from './helpers.js';

type Attr = number | number[] | string | { floats: number[] } | { float: number } | { tensor: number[] };
interface NodeSpec {
  op: string;
  inputs: string[];
  outputs?: string[];
  attrs?: Record<string, Attr>;
}
interface Init {
  name: string;
  dims: number[];
  values?: number[];
  ints?: number[];
}

function attribute(name: string, value: Attr) {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: A.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: A.INTS, ints: value };
  if (typeof value === 'number') return { name, type: A.INT, i: value };
  if ('floats' in value) return { name, type: A.FLOATS, floats: value.floats };
  if ('tensor' in value) return { name, type: A.TENSOR, t: { dims: [value.tensor.length], dataType: 1, floatData: value.tensor } };
  return { name, type: A.FLOAT, f: value.float };
}

/** A one-input model: `x` [1, C, H, W] → nodes → `y` → Flatten → `logits`. */
function build(opset: number, nodes: NodeSpec[], inits: Init[] = [], shape = [1, 3, 8, 8], seed = 1): Uint8Array {
  const rand = seeded(seed);
  const tensors = inits.map((t) =>
    t.ints
      ? onnx.TensorProto.create({ name: t.name, dims: t.dims, dataType: 7, int64Data: t.ints })
      : onnx.TensorProto.create({
          name: t.name,
          dims: t.dims,
          dataType: 1,
          floatData: t.values ?? Array.from({ length: t.dims.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1),
        }),
  );
  const dim = (d: number | string) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d });
  const valueInfo = (name: string, dims: (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: dims.map(dim) } } },
  });
  const graph = onnx.GraphProto.create({
    name: 'test',
    node: [...nodes, { op: 'Flatten', inputs: ['y'], outputs: ['logits'] }].map((n, i) => ({
      name: `/block/${n.op.toLowerCase()}_${i}/${n.op}`,
      opType: n.op,
      input: n.inputs,
      output: n.outputs ?? ['y'],
      attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
    })),
    initializer: tensors,
    input: [valueInfo('x', ['batch', ...shape.slice(1)])],
    output: [valueInfo('logits', ['batch', 'n'])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], graph, producerName: 'test' });
  return onnx.ModelProto.encode(model).finish();
}

const W = (name: string, dims: number[]): Init => ({ name, dims });
const I = (name: string, ints: number[]): Init => ({ name, dims: [ints.length], ints });

const CASES: [string, number, NodeSpec[], Init[]?, number[]?][] = [
  ['MaxPool ceil_mode with pads', 12, [{ op: 'MaxPool', inputs: ['x'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 } }], [], [1, 3, 8, 9]],
  ['MaxPool SAME_UPPER', 11, [{ op: 'MaxPool', inputs: ['x'], attrs: { kernel_shape: [2, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' } }], [], [1, 3, 7, 8]],
  ['AveragePool count_include_pad + ceil', 12, [{ op: 'AveragePool', inputs: ['x'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 } }], [], [1, 3, 8, 9]],
  ['AveragePool excluding asymmetric pads', 13, [{ op: 'AveragePool', inputs: ['x'], attrs: { kernel_shape: [3, 2], strides: [1, 2], pads: [0, 1, 1, 0] } }]],
  ['Conv SAME_UPPER stride 2', 13, [{ op: 'Conv', inputs: ['x', 'w', 'b'], attrs: { kernel_shape: [4, 4], strides: [2, 2], auto_pad: 'SAME_UPPER' } }], [W('w', [5, 3, 4, 4]), W('b', [5])]],
  ['Conv SAME_LOWER, no bias', 13, [{ op: 'Conv', inputs: ['x', 'w'], attrs: { auto_pad: 'SAME_LOWER' } }], [W('w', [4, 3, 2, 2])]],
  ['Conv asymmetric pads', 13, [{ op: 'Conv', inputs: ['x', 'w', 'b'], attrs: { pads: [0, 1, 2, 1] } }], [W('w', [4, 3, 3, 3]), W('b', [4])]],
  ['depthwise Conv, dilation 2, multiplier 2', 13, [{ op: 'Conv', inputs: ['x', 'w', 'b'], attrs: { group: 3, dilations: [2, 2], pads: [2, 2, 2, 2] } }], [W('w', [6, 1, 3, 3]), W('b', [6])]],
  ['grouped Conv', 13, [{ op: 'Conv', inputs: ['x', 'w', 'b'], attrs: { group: 2, pads: [1, 1, 1, 1], strides: [2, 1] } }], [W('w', [6, 2, 3, 3]), W('b', [6])], [1, 4, 8, 8]],
  ['Conv + Relu (fused for predict)', 13, [{ op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'] }, { op: 'Relu', inputs: ['c'] }], [W('w', [4, 3, 1, 1]), W('b', [4])]],
  ['Conv + Clip(0, 6) (fused for predict)', 13, [
    { op: 'Conv', inputs: ['x', 'w', 'b'], outputs: ['c'], attrs: { group: 3 } },
    { op: 'Clip', inputs: ['c', 'lo', 'hi'] },
  ], [W('w', [3, 1, 3, 3]), W('b', [3]), { name: 'lo', dims: [], values: [0] }, { name: 'hi', dims: [], values: [6] }]],
  ['Clip with attributes (opset 6)', 6, [{ op: 'Clip', inputs: ['x'], attrs: { min: { float: -0.25 }, max: { float: 0.5 } } }]],
  ['Pad reflect', 13, [{ op: 'Pad', inputs: ['x', 'p'], attrs: { mode: 'reflect' } }], [I('p', [0, 0, 1, 2, 0, 0, 2, 1])]],
  ['Pad constant value', 11, [{ op: 'Pad', inputs: ['x', 'p', 'v'] }], [I('p', [0, 1, 1, 0, 0, 0, 0, 3]), { name: 'v', dims: [], values: [0.75] }]],
  ['Split + Concat', 13, [
    { op: 'Split', inputs: ['x', 's'], outputs: ['a', 'b'], attrs: { axis: 1 } },
    { op: 'Concat', inputs: ['b', 'a'], attrs: { axis: 1 } },
  ], [I('s', [1, 2])]],
  ['Split attribute (opset 11) on width', 11, [
    { op: 'Split', inputs: ['x'], outputs: ['a', 'b'], attrs: { axis: 3, split: [3, 5] } },
    { op: 'Concat', inputs: ['b', 'a'], attrs: { axis: 3 } },
  ]],
  ['Slice with steps', 13, [{ op: 'Slice', inputs: ['x', 'st', 'en', 'ax', 'sp'] }], [I('st', [1, -1, 0]), I('en', [3, -100, 8]), I('ax', [1, 2, 3]), I('sp', [1, -2, 3])]],
  ['Transpose', 13, [{ op: 'Transpose', inputs: ['x'], attrs: { perm: [0, 2, 3, 1] } }]],
  ['Gather channels', 13, [{ op: 'Gather', inputs: ['x', 'i'], attrs: { axis: 1 } }], [I('i', [2, 0, 2])]],
  ['ReduceMean keepdims 0', 13, [{ op: 'ReduceMean', inputs: ['x'], attrs: { axes: [1], keepdims: 0 } }]],
  ['ReduceMean spatial, keepdims 1', 13, [{ op: 'ReduceMean', inputs: ['x'], attrs: { axes: [2, 3] } }]],
  ['ReduceMax over width, keepdims 0', 13, [{ op: 'ReduceMax', inputs: ['x'], attrs: { axes: [-1], keepdims: 0 } }]],
  ['GlobalMaxPool', 13, [{ op: 'GlobalMaxPool', inputs: ['x'] }]],
  ['Softmax axis 1 (opset 13)', 13, [{ op: 'Softmax', inputs: ['x'], attrs: { axis: 1 } }]],
  ['Softmax axis 1 (opset 11, flattening)', 11, [{ op: 'Softmax', inputs: ['x'], attrs: { axis: 1 } }]],
  ['LeakyRelu', 13, [{ op: 'LeakyRelu', inputs: ['x'], attrs: { alpha: { float: 0.1 } } }]],
  ['HardSigmoid', 13, [{ op: 'HardSigmoid', inputs: ['x'], attrs: { alpha: { float: 0.3 }, beta: { float: 0.4 } } }]],
  ['HardSwish', 14, [{ op: 'HardSwish', inputs: ['x'] }]],
  ['Sigmoid · x (SiLU)', 13, [{ op: 'Sigmoid', inputs: ['x'], outputs: ['s'] }, { op: 'Mul', inputs: ['x', 's'] }]],
  ['broadcast Sub/Div by [C, 1, 1]', 13, [{ op: 'Sub', inputs: ['x', 'm'], outputs: ['d'] }, { op: 'Div', inputs: ['d', 's'] }], [
    { name: 'm', dims: [3, 1, 1], values: [0.485, 0.456, 0.406] },
    { name: 's', dims: [3, 1, 1], values: [0.229, 0.224, 0.225] },
  ]],
  ['Add of a [1, 1, H, W] constant', 13, [{ op: 'Add', inputs: ['x', 'k'] }], [W('k', [1, 1, 8, 8])]],
  ['BatchNormalization', 13, [{ op: 'BatchNormalization', inputs: ['x', 'g', 'b', 'm', 'v'], attrs: { epsilon: { float: 1e-3 } } }], [
    W('g', [3]), W('b', [3]), W('m', [3]), { name: 'v', dims: [3], values: [0.5, 1, 2] },
  ]],
  ['Flatten + MatMul + Softmax', 13, [
    { op: 'Flatten', inputs: ['x'], outputs: ['f'] },
    { op: 'MatMul', inputs: ['f', 'k'], outputs: ['mm'] },
    { op: 'Softmax', inputs: ['mm'] },
  ], [W('k', [192, 5])]],
  ['Gemm transA alpha beta', 13, [
    { op: 'Flatten', inputs: ['x'], outputs: ['f'] },
    { op: 'Transpose', inputs: ['f'], outputs: ['ft'] },
    { op: 'Gemm', inputs: ['ft', 'k', 'c'], attrs: { transA: 1, alpha: { float: 0.5 }, beta: { float: 2 } } },
  ], [W('k', [192, 5]), W('c', [1, 5])]],
  ['Gemm with a one-element bias', 13, [
    { op: 'Flatten', inputs: ['x'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'k', 'c'] },
  ], [W('k', [192, 5]), W('c', [1])]],
  ['Squeeze / Unsqueeze attributes (opset 11)', 11, [
    { op: 'ReduceMean', inputs: ['x'], outputs: ['r'], attrs: { axes: [2, 3] } },
    { op: 'Squeeze', inputs: ['r'], outputs: ['q'], attrs: { axes: [2, 3] } },
    { op: 'Unsqueeze', inputs: ['q'], attrs: { axes: [1] } },
  ]],
  ['Reshape with shape arithmetic (folded)', 13, [
    { op: 'Shape', inputs: ['x'], outputs: ['sh'] },
    { op: 'Gather', inputs: ['sh', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
    { op: 'Unsqueeze', inputs: ['n', 'zeroAxis'], outputs: ['n1'] },
    { op: 'Concat', inputs: ['n1', 'rest'], outputs: ['target'], attrs: { axis: 0 } },
    { op: 'Reshape', inputs: ['x', 'target'], outputs: ['r'] },
    { op: 'Transpose', inputs: ['r'], attrs: { perm: [0, 2, 1, 3, 4] } },
  ], [{ name: 'zero', dims: [], ints: [0] }, I('zeroAxis', [0]), I('rest', [3, 4, 2, 8])]],
  ['Cast, Identity, Dropout', 13, [
    { op: 'Cast', inputs: ['x'], outputs: ['c'], attrs: { to: 1 } },
    { op: 'Identity', inputs: ['c'], outputs: ['i'] },
    { op: 'Dropout', inputs: ['i'] },
  ]],
  // Transformer and ConvNeXt operators (issue 16).
  ['LayerNormalization over the last axis, scale and bias', 17, [{ op: 'LayerNormalization', inputs: ['x', 'g', 'b'], attrs: { epsilon: { float: 1e-3 } } }], [W('g', [8]), W('b', [8])]],
  ['LayerNormalization over H and W, no bias', 17, [{ op: 'LayerNormalization', inputs: ['x', 'g'], attrs: { axis: 2 } }], [W('g', [8, 8])]],
  ['decomposed LayerNorm (ReduceMean, Sub, Pow, Sqrt, Div)', 14, [
    { op: 'ReduceMean', inputs: ['x'], outputs: ['m'], attrs: { axes: [-1] } },
    { op: 'Sub', inputs: ['x', 'm'], outputs: ['d'] },
    { op: 'Pow', inputs: ['d', 'two'], outputs: ['d2'] },
    { op: 'ReduceMean', inputs: ['d2'], outputs: ['v'], attrs: { axes: [-1] } },
    { op: 'Add', inputs: ['v', 'eps'], outputs: ['ve'] },
    { op: 'Sqrt', inputs: ['ve'], outputs: ['s'] },
    { op: 'Div', inputs: ['d', 's'] },
  ], [{ name: 'two', dims: [], values: [2] }, { name: 'eps', dims: [], values: [1e-5] }]],
  ['Pow with a tensor exponent', 13, [{ op: 'Abs', inputs: ['x'], outputs: ['a'] }, { op: 'Pow', inputs: ['a', 'e'] }], [{ name: 'e', dims: [8], values: [0.5, 1.5, 2, 3, 1, 0.25, 2.5, 1] }]],
  ['batched MatMul: [1, C, H, W] × [W, 5]', 13, [{ op: 'MatMul', inputs: ['x', 'k'] }], [W('k', [8, 5])]],
  ['batched MatMul: x × xᵀ (attention scores)', 13, [
    { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: [0, 1, 3, 2] } },
    { op: 'MatMul', inputs: ['x', 'xt'] },
  ]],
  ['MatMul by a 1-D vector', 13, [{ op: 'MatMul', inputs: ['x', 'v'] }], [W('v', [8])]],
  ['Softmax on axis 2 and Erf (GELU)', 13, [
    { op: 'Softmax', inputs: ['x'], outputs: ['s'], attrs: { axis: 2 } },
    { op: 'Erf', inputs: ['x'], outputs: ['e'] },
    { op: 'Add', inputs: ['s', 'e'] },
  ]],
  ['Where(Greater) with broadcasting', 13, [
    { op: 'Greater', inputs: ['x', 'zero'], outputs: ['c'] },
    { op: 'Mul', inputs: ['x', 'k'], outputs: ['xk'] },
    { op: 'Where', inputs: ['c', 'x', 'xk'] },
  ], [{ name: 'zero', dims: [], values: [0] }, { name: 'k', dims: [8], values: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8] }]],
  ['Equal, Not, Where on tensors', 13, [
    { op: 'Floor', inputs: ['x'], outputs: ['f'] },
    { op: 'Equal', inputs: ['f', 'zero'], outputs: ['e'] },
    { op: 'Not', inputs: ['e'], outputs: ['n'] },
    { op: 'Where', inputs: ['n', 'x', 'zero'] },
  ], [{ name: 'zero', dims: [], values: [0] }]],
  ['Mod fmod 1 on floats', 13, [{ op: 'Mod', inputs: ['x', 'm'], attrs: { fmod: 1 } }], [{ name: 'm', dims: [], values: [0.7] }]],
  ['Expand a reduced tensor', 13, [
    { op: 'ReduceMean', inputs: ['x'], outputs: ['m'], attrs: { axes: [1] } },
    { op: 'Expand', inputs: ['m', 'shape'], outputs: ['e'] },
    { op: 'Mul', inputs: ['e', 'x'] },
  ], [I('shape', [1, 3, 1, 1])]],
  ['Range, ConstantOfShape (host, folded) added to x', 13, [
    { op: 'Range', inputs: ['r0', 'r1', 'r2'], outputs: ['r'] },
    { op: 'Cast', inputs: ['r'], outputs: ['rf'], attrs: { to: 1 } },
    { op: 'ConstantOfShape', inputs: ['cs'], outputs: ['c'], attrs: { value: { tensor: [0.5] } } },
    { op: 'Add', inputs: ['rf', 'c'], outputs: ['k'] },
    { op: 'Add', inputs: ['x', 'k'] },
  ], [{ name: 'r0', dims: [], ints: [0] }, { name: 'r1', dims: [], ints: [8] }, { name: 'r2', dims: [], ints: [1] }, I('cs', [8])]],
  ['ScatterND into a tensor', 13, [{ op: 'ScatterND', inputs: ['x', 'idx', 'u'] }], [{ name: 'idx', dims: [2, 2], ints: [0, 2, 0, 0] }, W('u', [2, 8, 8])]],
  ['Pad edge', 13, [{ op: 'Pad', inputs: ['x', 'p'], attrs: { mode: 'edge' } }], [I('p', [0, 0, 2, 1, 0, 0, 1, 3])]],
  ['tokens: Gather the class token, Slice and Concat on the token axis', 13, [
    { op: 'Reshape', inputs: ['x', 'flat'], outputs: ['r'] },
    { op: 'Transpose', inputs: ['r'], outputs: ['t'], attrs: { perm: [0, 2, 1] } },
    { op: 'ReduceMax', inputs: ['t'], outputs: ['tm'], attrs: { axes: [1] } },
    { op: 'Mul', inputs: ['tm', 'cls'], outputs: ['c0'] },
    { op: 'Concat', inputs: ['c0', 't'], outputs: ['withCls'], attrs: { axis: 1 } },
    { op: 'Slice', inputs: ['withCls', 'st', 'en', 'ax'], outputs: ['patches'] },
    { op: 'Gather', inputs: ['withCls', 'zero'], outputs: ['g'], attrs: { axis: 1 } },
    { op: 'ReduceMean', inputs: ['patches'], outputs: ['pm'], attrs: { axes: [1], keepdims: 0 } },
    { op: 'Add', inputs: ['g', 'pm'] },
  ], [I('flat', [0, 3, 64]), W('cls', [1, 1, 3]), I('st', [1]), I('en', [65]), I('ax', [1]), { name: 'zero', dims: [], ints: [0] }]],
];

describe.each(BACKENDS)('operators on %s: tfjs graph vs onnxruntime', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(CASES)('%s (opset %i)', async (_name, opset, nodes, inits = [], shape = [1, 3, 8, 8]) => {
    const bytes = build(opset, nodes, inits, shape);
    const before = tf.memory().numTensors;
    const slow = await loadOnnxModel(bytes, { engine: 'tfjs' });
    const fast = await loadOnnxModel(bytes, { engine: 'onnxruntime' });
    const [, c, h, w] = shape;
    const x = tf.randomUniform([3, h, w, c], -2, 2, 'float32', opset) as tf.Tensor4D;
    const [a, b] = [await slow.predict(x), await fast.predict(x)];
    expect(a.shape).toEqual(b.shape);
    expect(relativeError(await a.data(), await b.data())).toBeLessThan(1e-5);
    // The exact (unfused) graph gives the same values as the output layer's activations.
    const one = tf.slice(x, [0, 0, 0, 0], [1, h, w, c]) as tf.Tensor4D;
    const g = await slow.activationsAndGradient(one, slow.resolveLayer('logits'), 0);
    const first = (await b.data()).slice(0, b.shape[1]);
    expect(relativeError(await g.activations.data(), first)).toBeLessThan(1e-5);
    tf.dispose([a, b, x, one, g.activations, g.gradient, g.logits]);
    slow.dispose();
    fast.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
