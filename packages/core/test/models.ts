// Small tfjs models for adapter tests, with weights from the seeded generator.
import * as tfl from '@tensorflow/tfjs-layers';
import { Random } from '../src/random.js';

export function seededInitializer(seed: number) {
  const r = new Random(seed);
  return {
    apply: (shape: number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.normal() * 0.3),
  };
}

/** Sets every weight of `model` from a seeded normal draw (so tests are reproducible). */
export async function seedWeights(model: tfl.LayersModel, seed: number): Promise<void> {
  const tf = await import('@tensorflow/tfjs-core');
  const init = seededInitializer(seed);
  model.setWeights(model.getWeights().map((w) => tf.tensor(init.apply(w.shape), w.shape)));
}

/** input → conv → relu ("block_in") → conv → add(skip) ("block_out") → GAP → dense(3). */
export function residualModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3], name: 'image' });
  const stem = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'stem' }).apply(input) as tfl.SymbolicTensor;
  const blockIn = tfl.layers.reLU({ name: 'block_in' }).apply(stem) as tfl.SymbolicTensor;
  const inner = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'inner_conv' }).apply(blockIn) as tfl.SymbolicTensor;
  const sum = tfl.layers.add({ name: 'block_out' }).apply([blockIn, inner]) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(sum) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: 3, name: 'logits' }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: 'residual' });
}

/** An outer model that calls a nested Sequential feature extractor. */
export function nestedModel(): tfl.LayersModel {
  const features = tfl.sequential({
    name: 'features',
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_a' }),
      tfl.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'conv_b' }),
    ],
  });
  const input = tfl.input({ shape: [8, 8, 3], name: 'image' });
  const f = features.apply(input) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(f) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: 2, name: 'logits' }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: 'outer' });
}

/** input → conv ("a") → conv ("b") → concatenate([a, b]) ("joined") → GAP → dense(3): a skip that cannot broadcast a batch. */
export function concatModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 3], name: 'image' });
  const a = tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', name: 'a' }).apply(input) as tfl.SymbolicTensor;
  const b = tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'b' }).apply(a) as tfl.SymbolicTensor;
  const joined = tfl.layers.concatenate({ name: 'joined' }).apply([a, b]) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(joined) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: 3, name: 'logits' }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: logits, name: 'concat' });
}
