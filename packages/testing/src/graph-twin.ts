import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { GraphClassifier, LayersClassifier } from '@xai/core';
import { normalArray } from './random.js';

/**
 * One small network written twice, as a hand-made TF graph (what tfjs-converter stores) and as a
 * tfjs-layers functional model with the same weights, so whatever a method gives through the one
 * must equal what it gives through the other (the "works on LayersModels and GraphModels" tests):
 *
 *   x [8, 8, 3] → conv1 3×3 stride 2 'same' → ReLU (block/relu, [4, 4, K]) → conv2 3×3 'same'
 *     → add with the ReLU (block/add, the skip) → mean over H, W → matmul → logits [3]
 *
 * No biases, so the head after block/add is linear. Both models take 'unit' preprocessing.
 */
export interface TwinNetwork {
  /** Input height and width (8). */
  readonly size: number;
  /** Input channels (3). */
  readonly channels: number;
  /** Channels of conv1, conv2 and the sum, K (6). */
  readonly filters: number;
  /** Number of classes (3). */
  readonly classes: number;
  /** conv1's kernel, HWIO [3, 3, channels, K]. */
  readonly w1: Float32Array;
  /** conv2's kernel, HWIO [3, 3, K, K]. */
  readonly w2: Float32Array;
  /** The head's matrix, [K, classes] row-major: logit c = Σ_k mean(A_k) · dense[k · classes + c]. */
  readonly dense: Float32Array;
  /** The graph node and the Keras layer of the same value, the skip's sum. */
  readonly features: { readonly graph: string; readonly layers: string };
  /** The graph model's artifacts, for tf.io.fromMemory. */
  graphArtifacts(): tf.io.ModelArtifacts;
  /** The network as a GraphModel (nodes block/conv1, block/relu, block/conv2, block/add, head/mean, logits). */
  graphClassifier(): Promise<GraphClassifier>;
  /** The network as a LayersModel (layers conv1, relu, conv2, add, pool, logits). */
  layersClassifier(): LayersClassifier;
}

const SIZE = 8;
const CHANNELS = 3;
const K = 6;
const CLASSES = 3;

const W1_SHAPE: [number, number, number, number] = [3, 3, CHANNELS, K];
const W2_SHAPE: [number, number, number, number] = [3, 3, K, K];
const DENSE_SHAPE: [number, number] = [K, CLASSES];

const b64 = (s: string) => Buffer.from(s).toString('base64');
const float = { type: 'DT_FLOAT' };

/** The twin network (fixed seeds, so every call has the same weights). */
export function twinNetwork(): TwinNetwork {
  const w1 = normalArray(3 * 3 * CHANNELS * K, 31, 0, 0.4);
  const w2 = normalArray(3 * 3 * K * K, 32, 0, 0.4);
  const dense = normalArray(K * CLASSES, 33, 0, 0.6);
  const features = { graph: 'block/add', layers: 'add' } as const;

  function graphArtifacts(): tf.io.ModelArtifacts {
    const conv = (name: string, input: string, filter: string, stride: number) => ({
      name,
      op: 'Conv2D',
      input: [input, filter],
      attr: {
        T: float,
        strides: { list: { i: ['1', String(stride), String(stride), '1'] } },
        dilations: { list: { i: ['1', '1', '1', '1'] } },
        padding: { s: b64('SAME') },
        data_format: { s: b64('NHWC') },
      },
    });
    const weights: { name: string; shape: number[]; data: Float32Array | Int32Array }[] = [
      { name: 'block/w1', shape: W1_SHAPE, data: w1 },
      { name: 'block/w2', shape: W2_SHAPE, data: w2 },
      { name: 'head/axes', shape: [2], data: Int32Array.from([1, 2]) },
      { name: 'head/dense', shape: DENSE_SHAPE, data: dense },
    ];
    const dtype = (data: Float32Array | Int32Array) => (data instanceof Int32Array ? 'int32' : 'float32');
    const dims = (...sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size) })) });
    const node = [
      { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: dims(-1, SIZE, SIZE, CHANNELS) } } },
      ...weights.map(({ name, data }) => ({
        name,
        op: 'Const',
        attr: { dtype: { type: data instanceof Int32Array ? 'DT_INT32' : 'DT_FLOAT' }, value: { tensor: {} } },
      })),
      conv('block/conv1', 'x', 'block/w1', 2),
      { name: 'block/relu', op: 'Relu', input: ['block/conv1'], attr: { T: float } },
      conv('block/conv2', 'block/relu', 'block/w2', 1),
      { name: features.graph, op: 'AddV2', input: ['block/relu', 'block/conv2'], attr: { T: float } },
      { name: 'head/mean', op: 'Mean', input: [features.graph, 'head/axes'], attr: { T: float, keep_dims: { b: false } } },
      { name: 'logits', op: 'MatMul', input: ['head/mean', 'head/dense'], attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } } },
    ];
    const bytes = new Uint8Array(weights.reduce((n, w) => n + w.data.byteLength, 0));
    let offset = 0;
    for (const { data } of weights) {
      bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
      offset += data.byteLength;
    }
    return {
      format: 'graph-model',
      modelTopology: { node, versions: { producer: 1 } },
      weightSpecs: weights.map(({ name, shape, data }) => ({ name, shape, dtype: dtype(data) })),
      weightData: bytes.buffer,
      signature: {
        inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, SIZE, SIZE, CHANNELS) } },
        outputs: { logits: { name: 'logits:0', dtype: 'DT_FLOAT', tensorShape: dims(-1, CLASSES) } },
      },
    } as unknown as tf.io.ModelArtifacts;
  }

  async function graphClassifier(): Promise<GraphClassifier> {
    const model = await loadGraphModel(tf.io.fromMemory(graphArtifacts()));
    return new GraphClassifier(model, { preprocessing: 'unit' });
  }

  function layersClassifier(): LayersClassifier {
    type Sym = tfl.SymbolicTensor;
    const x = tfl.input({ shape: [SIZE, SIZE, CHANNELS], name: 'x' });
    const conv1 = tfl.layers.conv2d({ filters: K, kernelSize: 3, strides: 2, padding: 'same', useBias: false, name: 'conv1' });
    const conv2 = tfl.layers.conv2d({ filters: K, kernelSize: 3, padding: 'same', useBias: false, name: 'conv2' });
    const head = tfl.layers.dense({ units: CLASSES, useBias: false, name: 'logits' });
    const relu = tfl.layers.reLU({ name: 'relu' }).apply(conv1.apply(x)) as Sym;
    const add = tfl.layers.add({ name: features.layers }).apply([relu, conv2.apply(relu) as Sym]) as Sym;
    const pooled = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(add) as Sym;
    const model = tfl.model({ inputs: x, outputs: head.apply(pooled) as Sym, name: 'graph_twin' });
    // Keras kernels are HWIO and [in, out], as the graph's Const weights.
    tf.tidy(() => {
      conv1.setWeights([tf.tensor4d(w1, W1_SHAPE)]);
      conv2.setWeights([tf.tensor4d(w2, W2_SHAPE)]);
      head.setWeights([tf.tensor2d(dense, DENSE_SHAPE)]);
    });
    return new LayersClassifier(model, { preprocessing: 'unit' });
  }

  return { size: SIZE, channels: CHANNELS, filters: K, classes: CLASSES, w1, w2, dense, features, graphArtifacts, graphClassifier, layersClassifier };
}
