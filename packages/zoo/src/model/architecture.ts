import * as tfl from '@tensorflow/tfjs-layers';
import { XaiError } from '@xai/core';

export interface ArchitectureOptions {
  /** Input side in pixels (default 96; a multiple of 8). */
  size?: number;
  numClasses?: number;
  /** Seeds the weight initialisers (default 1; each layer takes the next number). */
  seed?: number;
}

type Symbolic = tfl.SymbolicTensor;

/**
 * The demo network: a small ResNet. A 4×4 stride-4 stem (cheap to train at full resolution),
 * then three residual stages whose outputs are the layers `stage1` (size/4), `stage2` and
 * `stage3` (both size/8: the last stage keeps its resolution so class maps stay sharp, 12×12
 * for a 96×96 input), global average pooling, and a dense layer of logits (no softmax).
 */
export function buildDemoArchitecture(options: ArchitectureOptions = {}): tfl.LayersModel {
  const { size = 96, numClasses = 4, seed = 1 } = options;
  // tfjs takes an initializer seed of 0 as "no seed": the weights would differ on every call.
  if (!Number.isInteger(seed) || seed < 1) throw new XaiError(`seed must be a whole number ≥ 1 (tfjs ignores 0), got ${seed}`);
  if (!Number.isInteger(size) || size < 32 || size % 8 !== 0) {
    throw new XaiError(`The input size must be a multiple of 8 and at least 32, got ${size}`);
  }
  let nextSeed = seed;
  const init = () => tfl.initializers.heNormal({ seed: nextSeed++ });
  const conv = (x: Symbolic, filters: number, kernel: number, stride: number, name: string) =>
    tfl.layers
      .conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false, kernelInitializer: init(), name })
      .apply(x) as Symbolic;
  const norm = (x: Symbolic, name: string) => tfl.layers.batchNormalization({ name }).apply(x) as Symbolic;
  const relu = (x: Symbolic, name: string) => tfl.layers.activation({ activation: 'relu', name }).apply(x) as Symbolic;

  const block = (x: Symbolic, filters: number, stride: number, name: string) => {
    let y = relu(norm(conv(x, filters, 3, stride, `${name}_conv1`), `${name}_bn1`), `${name}_relu1`);
    y = norm(conv(y, filters, 3, 1, `${name}_conv2`), `${name}_bn2`);
    const inChannels = x.shape[3];
    const shortcut =
      stride === 1 && inChannels === filters
        ? x
        : norm(conv(x, filters, 1, stride, `${name}_proj`), `${name}_proj_bn`);
    const sum = tfl.layers.add({ name: `${name}_add` }).apply([y, shortcut]) as Symbolic;
    return relu(sum, name);
  };

  const input = tfl.input({ shape: [size, size, 3], name: 'image' });
  const stem = relu(norm(conv(input, 24, 4, 4, 'stem_conv'), 'stem_bn'), 'stem');
  const stage1 = block(stem, 24, 1, 'stage1');
  const stage2 = block(stage1, 48, 2, 'stage2');
  const stage3 = block(stage2, 64, 1, 'stage3');
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(stage3) as Symbolic;
  const logits = tfl.layers
    .dense({ units: numClasses, kernelInitializer: tfl.initializers.glorotUniform({ seed: nextSeed++ }), name: 'logits' })
    .apply(pooled) as Symbolic;
  return tfl.model({ inputs: input, outputs: logits, name: 'xai_shapes_resnet' });
}
