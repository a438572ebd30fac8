import { describe, expect, test } from 'vitest';
import { parseNpy, type SaliencyMap } from '@xai/core';
import { fileStem, mapsToNpy, runJson } from '../src/logic/exports.js';
import type { ModelInfo } from '../src/protocol.js';

function map(classIndex: number, fill: number, className?: string): SaliencyMap {
  return { data: new Float32Array(6).fill(fill), height: 2, width: 3, classIndex, className, method: 'rise', params: { n: 10 } };
}

describe('exports', () => {
  test('file names say the method and the class', () => {
    expect(fileStem(map(3, 0, 'Tabby Cat!'))).toBe('rise-tabby-cat-3');
    expect(fileStem(map(7, 0))).toBe('rise-class-7');
  });

  test('one map is saved as H×W, several as K×H×W in order', () => {
    const one = parseNpy(mapsToNpy([map(0, 1)]));
    expect(one.shape).toEqual([2, 3]);
    const many = parseNpy(mapsToNpy([map(2, 1), map(0, 2)]));
    expect(many.shape).toEqual([2, 2, 3]);
    expect(Array.from(many.data as Float32Array)).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
  });

  test('the JSON record holds the parameters, the AUCs and the value range', () => {
    const model = { name: 'demo', input: { height: 2, width: 3, channels: 3, layout: 'NHWC' }, numClasses: 4, engine: 'onnxruntime-web', passes: { engine: 'onnxruntime-web', threads: 2 }, gradients: 'onnxruntime-web (gradient graph)', preprocessing: 'unit; resize pil-bilinear', applied: { scale: 1 / 255, offset: 0, mean: [0, 0, 0], std: [1, 1, 1], resize: 'pil-bilinear' }, whiteBox: true, featureLayers: [], defaultLayer: 'conv' } as ModelInfo;
    const curve = { scores: [1, 0.5], auc: 0.75, classIndex: 0, step: 3, substrate: 'zeros' };
    const record = JSON.parse(
      runJson({
        map: map(0, 0.25), npyClasses: [0], curves: { insertion: curve, deletion: curve, random: { insertion: 0.5, deletion: 0.4, seed: 0 } },
        model, backend: 'wasm', top: [], seconds: 1, steps: ['resize 451×300 → 2×3 (model size, pil-bilinear)'],
      }),
    );
    expect(record).toMatchObject({ method: 'rise', classIndex: 0, params: { n: 10 }, valueRange: [0.25, 0.25], backend: 'wasm' });
    expect(record.insertion.auc).toBe(0.75);
    expect(record.model.featureLayers).toBeUndefined();
    expect(record.model).toMatchObject({ engine: 'onnxruntime-web', gradients: 'onnxruntime-web (gradient graph)' });
    // What the AUCs are to be read against, and what was done to the image.
    expect(record.randomMap).toEqual({ insertionAuc: 0.5, deletionAuc: 0.4, seed: 0 });
    expect(record.model.applied.resize).toBe('pil-bilinear');
    expect(record.preprocessingSteps).toEqual(['resize 451×300 → 2×3 (model size, pil-bilinear)']);
  });
});
