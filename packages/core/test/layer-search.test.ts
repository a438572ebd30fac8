import { beforeAll, describe, expect, it } from 'vitest';
import type { LayerHandle, LayerInfo } from '../src/classifier.js';
import { XaiError } from '../src/errors.js';
import { LayersClassifier } from '../src/models/layers-classifier.js';
import {
  UnknownLayerError, closestNames, defaultFeatureLayer, defaultFeatureLayerOrNone, editDistance, layerHandle, requireFeatureMap, unknownLayer,
} from '../src/models/layer-search.js';
import { useBackend } from './helpers.js';
import { concatModel, nestedModel, residualModel } from './models.js';

/** A model with the given layers (NHWC shapes), for the layer search alone. */
function listed(layers: LayerInfo[]) {
  return {
    layers: () => layers,
    resolveLayer: (name: string): LayerHandle => {
      const info = layers.find((l) => l.name === name);
      if (!info) throw unknownLayer(name, layers);
      return layerHandle(name, info, info.shape);
    },
  };
}

const map = (name: string, shape: number[], kind = 'Conv', output = name): LayerInfo => ({ name, shape, kind, camTarget: shape.length === 3, output });

describe('editDistance and closestNames', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(editDistance('block_ot', 'block_out')).toBe(1);
    expect(editDistance('layr4', 'layer4')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });

  it('orders by distance, then model order, case-insensitively, within reach, without repeats', () => {
    const names = ['stem', 'block_in', 'inner_conv', 'block_out', 'block_out', 'gap', 'logits'];
    expect(closestNames('block_ot', names)).toEqual(['block_out', 'block_in']);
    expect(closestNames('BLOCK_OUT', names)).toEqual(['block_out', 'block_in']);
    expect(closestNames('layer5', ['layer1', 'layer2', 'layer3', 'layer4'])).toEqual(['layer1', 'layer2', 'layer3']);
    expect(closestNames('layer5', ['layer1', 'layer2', 'layer3', 'layer4'], 2)).toEqual(['layer1', 'layer2']);
    expect(closestNames('completely_different', names)).toEqual([]);
  });
});

describe('unknownLayer', () => {
  it('names the closest layers, the default and the count, and keeps the closest names', () => {
    const layers = [map('stem', [8, 8, 4]), map('block_out', [8, 8, 4]), map('gap', [4], 'GlobalAveragePooling2D')];
    const error = unknownLayer('block_ot', layers, 'block_out');
    expect(error).toBeInstanceOf(UnknownLayerError);
    expect(error).toBeInstanceOf(XaiError);
    expect(error.name).toBe('UnknownLayerError');
    expect(error.layer).toBe('block_ot');
    expect(error.closest).toEqual(['block_out']);
    expect(error.message).toBe(
      'Unknown layer "block_ot". Closest: block_out. The default layer is block_out. ' +
        "The model has 3 layers; `xai layers` (or the model's layers()) lists them.",
    );
    // Without a close name or a default, those parts are left out.
    expect(unknownLayer('zzzzzzzzzzzz', layers).message).toBe(
      'Unknown layer "zzzzzzzzzzzz". The model has 3 layers; `xai layers` (or the model\'s layers()) lists them.',
    );
  });
});

describe('layerHandle and requireFeatureMap', () => {
  it('makes a handle from a layer, spatial only for a 3-D feature map', () => {
    expect(layerHandle('layer4', map('layer4', [64, 2, 2], 'Relu', '/x/Relu_output_0'), [2, 2, 64])).toEqual({
      name: 'layer4', output: '/x/Relu_output_0', shape: [2, 2, 64], spatial: true, kind: 'Relu',
    });
    expect(layerHandle('fc', map('fc', [4], 'Gemm'), [4]).spatial).toBe(false);
  });

  it('refuses a layer that is not a feature map, listing feature maps closest first', () => {
    const layers = [map('stem', [8, 8, 4]), map('block_in', [8, 8, 4]), map('block_out', [8, 8, 4]), map('gap', [4], 'GlobalAveragePooling2D')];
    const gap = listed(layers).resolveLayer('gap');
    expect(() => requireFeatureMap(gap, layers, 'Grad-CAM')).toThrow(
      'Layer "gap" has output shape [4], not a feature map [height, width, channels]; Grad-CAM weights the channels of a 4-D layer output. ' +
        'Feature-map layers: stem, block_in, block_out',
    );
    const blockOt = { ...gap, name: 'block_ot' };
    expect(() => requireFeatureMap(blockOt, layers, 'Grad-CAM')).toThrow(/Feature-map layers: block_out, block_in, stem$/);
    expect(() => requireFeatureMap(listed(layers).resolveLayer('stem'), layers, 'Grad-CAM')).not.toThrow();
  });
});

describe('defaultFeatureLayer', () => {
  it('is the last feature map with spatial extent, before the head pools it to 1×1', () => {
    const model = listed([
      map('conv', [8, 8, 4]),
      map('features', [4, 4, 8]),
      map('pool', [1, 1, 8], 'GlobalAveragePool'),
      map('fc', [3], 'Gemm'),
    ]);
    expect(defaultFeatureLayer(model)).toBe('features');
  });

  it('passes over an average pool that keeps the size (VGG’s adaptive pool) for its input', () => {
    const model = listed([
      map('features', [7, 7, 512]),
      map('avgpool', [7, 7, 512], 'AveragePool'),
      map('classifier', [10], 'Gemm'),
    ]);
    expect(defaultFeatureLayer(model)).toBe('features');
    // A pool that shrinks the map is the feature extractor's output.
    const shrinking = listed([map('features', [8, 8, 16]), map('pool', [4, 4, 16], 'MaxPool'), map('fc', [3], 'Gemm')]);
    expect(defaultFeatureLayer(shrinking)).toBe('pool');
  });

  it('names the first listed alias of the chosen output', () => {
    const model = listed([
      map('layer4', [2, 2, 64], 'Relu', 't4'),
      map('layer4.1', [2, 2, 64], 'Relu', 't4'),
      map('layer4.1.relu_1', [2, 2, 64], 'Relu', 't4'),
      map('avgpool', [1, 1, 64], 'GlobalAveragePool', 'tp'),
    ]);
    expect(defaultFeatureLayer(model)).toBe('layer4');
  });

  it('falls back to the last feature map when none has spatial extent, and refuses a model without one', () => {
    expect(defaultFeatureLayer(listed([map('a', [1, 1, 4]), map('b', [1, 1, 8]), map('fc', [3])]))).toBe('b');
    const none = listed([map('fc1', [8]), map('fc2', [3])]);
    expect(() => defaultFeatureLayer(none)).toThrow(/no layer with a 4-D output.*name a layer/);
    expect(defaultFeatureLayerOrNone(none)).toBeUndefined();
  });

  describe('on the small tfjs models', () => {
    beforeAll(() => useBackend('cpu'));

    it('matches the layers Abs-CAM used by default before', () => {
      for (const [build, expected] of [[residualModel, 'block_out'], [nestedModel, 'features'], [concatModel, 'joined']] as const) {
        const classifier = new LayersClassifier(build());
        expect(defaultFeatureLayer(classifier)).toBe(expected);
        expect(defaultFeatureLayerOrNone(classifier)).toBe(expected);
        classifier.dispose();
      }
    });
  });
});
