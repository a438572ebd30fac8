import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fixturePath } from './fixtures.js';

/**
 * The golden `tiny-chelsea` network as a tfjs-layers functional model (NHWC, 64×64×3 → 4 logits),
 * with the weights of `fixtures/tiny-chelsea/state_dict.npz` (converted to weights.json + weights.bin
 * by `scripts/export_tiny_chelsea_weights.py`).
 *
 * Architecture (torchvision's ResNet with BasicBlocks, narrow): conv1 3×3 stride 2 pad 1, bn1, relu,
 * maxpool 3×3 stride 2 pad 1, layer1…layer4 of two blocks each (8, 16, 32, 64 channels; stride 2
 * from layer2 on, with a 1×1 conv + bn downsample), global average pool, fc.
 *
 * Keras layer names follow the PyTorch module paths: `layer4.1.conv2`, `layer4.0.downsample.1`, …
 * The final ReLU of each block is named after the module whose output it is: `layerN.0` for the
 * first block and `layerN` for the second (= the stage output, what PyTorch hooks on `layerN` see).
 * PyTorch pads stride-2 convolutions symmetrically, Keras `same` does not, so those get an explicit
 * `ZeroPadding2D` named `<conv>.pad`.
 */
export interface TinyChelseaOptions {
  /**
   * Wrap everything up to `layer4` in an inner model named `backbone`, used as one layer of the
   * outer model (which adds `avgpool` and `fc`). Inner layers are then addressed `backbone/layer4`.
   */
  nested?: boolean;
}

export const TINY_CHELSEA_STAGES = [
  { name: 'layer1', channels: 8, stride: 1 },
  { name: 'layer2', channels: 16, stride: 2 },
  { name: 'layer3', channels: 32, stride: 2 },
  { name: 'layer4', channels: 64, stride: 2 },
] as const;

export function buildTinyChelseaLayersModel(options: TinyChelseaOptions = {}): tfl.LayersModel {
  const weights = readTinyChelseaWeights();
  const input = tfl.input({ shape: [64, 64, 3], name: 'input' });
  const features = backbone(input, weights);
  let model: tfl.LayersModel;
  if (options.nested) {
    const inner = tfl.model({ inputs: input, outputs: features, name: 'backbone' });
    const outerInput = tfl.input({ shape: [64, 64, 3], name: 'image' });
    const logits = head(inner.apply(outerInput) as tfl.SymbolicTensor, weights);
    model = tfl.model({ inputs: outerInput, outputs: logits, name: 'tiny_chelsea_nested' });
  } else {
    model = tfl.model({ inputs: input, outputs: head(features, weights), name: 'tiny_chelsea' });
  }
  loadWeights(model, weights);
  return model;
}

/** PyTorch tensors by state-dict name, in PyTorch layout. */
export type TorchWeights = Map<string, { shape: number[]; values: Float32Array }>;

export function readTinyChelseaWeights(): TorchWeights {
  const manifest = JSON.parse(readFileSync(fixturePath('tiny-chelsea', 'weights.json'), 'utf8')) as {
    tensors: { name: string; shape: number[]; offset: number }[];
  };
  const bytes = readFileSync(fixturePath('tiny-chelsea', 'weights.bin'));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const weights: TorchWeights = new Map();
  for (const { name, shape, offset } of manifest.tensors) {
    const size = shape.reduce((a, b) => a * b, 1);
    weights.set(name, { shape, values: all.subarray(offset, offset + size) });
  }
  return weights;
}

type Sym = tfl.SymbolicTensor;

function backbone(input: Sym, weights: TorchWeights): Sym {
  let x = conv(input, 'conv1', weights, 2);
  x = batchNorm(x, 'bn1');
  x = tfl.layers.reLU({ name: 'relu' }).apply(x) as Sym;
  // Zero padding equals PyTorch's −∞ padding here: the input is a ReLU output, so ≥ 0.
  x = tfl.layers.zeroPadding2d({ padding: 1, name: 'maxpool.pad' }).apply(x) as Sym;
  x = tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'maxpool' }).apply(x) as Sym;
  for (const stage of TINY_CHELSEA_STAGES) {
    x = basicBlock(x, `${stage.name}.0`, `${stage.name}.0`, stage.stride, weights);
    x = basicBlock(x, `${stage.name}.1`, stage.name, 1, weights);
  }
  return x;
}

function head(features: Sym, weights: TorchWeights): Sym {
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(features) as Sym;
  const units = weights.get('fc.weight')!.shape[0];
  return tfl.layers.dense({ units, name: 'fc' }).apply(pooled) as Sym;
}

function basicBlock(x: Sym, prefix: string, outputName: string, stride: number, weights: TorchWeights): Sym {
  let out = conv(x, `${prefix}.conv1`, weights, stride);
  out = batchNorm(out, `${prefix}.bn1`);
  out = tfl.layers.reLU({ name: `${prefix}.relu` }).apply(out) as Sym;
  out = conv(out, `${prefix}.conv2`, weights, 1);
  out = batchNorm(out, `${prefix}.bn2`);
  let identity = x;
  if (weights.has(`${prefix}.downsample.0.weight`)) {
    identity = conv(x, `${prefix}.downsample.0`, weights, stride);
    identity = batchNorm(identity, `${prefix}.downsample.1`);
  }
  const sum = tfl.layers.add({ name: `${prefix}.add` }).apply([out, identity]) as Sym;
  return tfl.layers.reLU({ name: outputName }).apply(sum) as Sym;
}

function conv(x: Sym, name: string, weights: TorchWeights, stride: number): Sym {
  const [filters, , kernelSize] = weights.get(`${name}.weight`)!.shape;
  const pad = (kernelSize - 1) / 2;
  let input = x;
  let padding: 'same' | 'valid' = 'same';
  if (stride > 1 && pad > 0) {
    input = tfl.layers.zeroPadding2d({ padding: pad, name: `${name}.pad` }).apply(x) as Sym;
    padding = 'valid';
  }
  const layer = tfl.layers.conv2d({ filters, kernelSize, strides: stride, padding, useBias: false, name });
  return layer.apply(input) as Sym;
}

function batchNorm(x: Sym, name: string): Sym {
  return tfl.layers.batchNormalization({ axis: -1, epsilon: 1e-5, name }).apply(x) as Sym;
}

/** Copies the PyTorch tensors into the Keras layers (OIHW → HWIO, fc transposed). */
function loadWeights(model: tfl.LayersModel, weights: TorchWeights): void {
  const get = (name: string) => {
    const w = weights.get(name);
    if (!w) throw new Error(`tiny-chelsea weights have no ${name}`);
    return tf.tensor(w.values, w.shape);
  };
  for (const layer of allLayers(model)) {
    const name = layer.name;
    tf.tidy(() => {
      if (layer.getClassName() === 'Conv2D') {
        layer.setWeights([tf.transpose(get(`${name}.weight`), [2, 3, 1, 0])]);
      } else if (layer.getClassName() === 'BatchNormalization') {
        layer.setWeights(['weight', 'bias', 'running_mean', 'running_var'].map((p) => get(`${name}.${p}`)));
      } else if (layer.getClassName() === 'Dense') {
        layer.setWeights([tf.transpose(get(`${name}.weight`)), get(`${name}.bias`)]);
      }
    });
  }
}

function allLayers(model: tfl.LayersModel): tfl.layers.Layer[] {
  return model.layers.flatMap((layer) =>
    layer instanceof tfl.LayersModel ? allLayers(layer) : [layer],
  );
}
