import { describe, expect, test } from 'vitest';
import { MethodRegistry, type LayerInfo, type MethodDescriptor } from '@xai/core';
import {
  comparedMethods,
  explainTargets,
  keepOrFirstAvailable,
  labelOf,
  layerRequest,
  methodChoices,
  methodList,
} from '../src/logic/methods.js';
import { fieldsFor, paramFields } from '../src/logic/params.js';

const paper = { title: 'A paper', authors: 'Someone', year: 2024, url: 'https://example.org/paper' };

function descriptor(overrides: Partial<MethodDescriptor>): MethodDescriptor {
  return { id: 'x', label: 'X', paper, box: 'black', layers: 'none', params: [], run: async () => [], ...overrides };
}

const occlusion = descriptor({
  id: 'occlusion',
  label: 'Occlusion',
  everyClassAtOnce: true,
  params: [
    { name: 'patch', type: 'int', default: 8, min: 1, max: 64, help: 'patch side in pixels' },
    { name: 'fill', type: 'choice', default: 'zeros', choices: ['zeros', 'blur'], help: 'what covers the patch' },
  ],
});
const gradients = descriptor({
  id: 'toy-cam',
  label: 'Toy-CAM',
  box: 'white',
  layers: 'many',
  params: [{ name: 'patch', type: 'int', default: 8, min: 1, max: 64, help: 'shared with occlusion' }],
});
const registry = new MethodRegistry([occlusion, gradients]);
const conv: LayerInfo = { name: 'conv', shape: [12, 12, 8], kind: 'Conv2D', camTarget: true, output: 'conv' };

describe('the method list comes from the registry', () => {
  test('a registered method appears in the list, with its label, paper and fields', () => {
    const methods = methodList(registry);
    expect(methods.map((m) => m.id)).toEqual(['occlusion', 'toy-cam']);
    expect(methods[0]).toEqual({
      id: 'occlusion', label: 'Occlusion', paper, box: 'black', layers: 'none', everyClassAtOnce: true, params: occlusion.params,
    });
    expect(methodChoices(methods, undefined).map((c) => c.label)).toEqual(['Occlusion', 'Toy-CAM']);
    const fields = paramFields(methods);
    expect(fields.map((f) => [f.id, f.methods])).toEqual([
      ['param-patch', ['occlusion', 'toy-cam']],
      ['param-fill', ['occlusion']],
    ]);
    expect(fieldsFor(fields, 'toy-cam').map((f) => f.spec.name)).toEqual(['patch']);
  });

  test('the list is plain data that crosses postMessage (no run function)', () => {
    const methods = methodList(registry);
    expect(structuredClone(methods)).toEqual(methods);
    expect(JSON.stringify(methods)).not.toContain('run');
  });

  test('white-box and layer methods are offered only where the model can run them', () => {
    const methods = methodList(registry);
    const blackBox = { whiteBox: false, featureLayers: [] };
    const whiteBox = { whiteBox: true, featureLayers: [conv] };
    const noMaps = { whiteBox: true, featureLayers: [] };
    expect(methodChoices(methods, blackBox)[1].unavailable).toMatch(/Toy-CAM needs layer activations and gradients/);
    expect(methodChoices(methods, noMaps)[1].unavailable).toMatch(/feature-map layer/);
    expect(methodChoices(methods, whiteBox).every((c) => !c.unavailable)).toBe(true);
    expect(comparedMethods(methods, blackBox).map((m) => m.id)).toEqual(['occlusion']);
    expect(keepOrFirstAvailable(methodChoices(methods, blackBox), 'toy-cam')).toBe('occlusion');
    expect(keepOrFirstAvailable(methodChoices(methods, whiteBox), 'toy-cam')).toBe('toy-cam');
  });

  test('labels come from the list; an unknown id reads as itself', () => {
    const methods = methodList(registry);
    expect(labelOf(methods, 'toy-cam')).toBe('Toy-CAM');
    expect(labelOf(methods, 'gone')).toBe('gone');
  });
});

describe('explain requests', () => {
  const [occ, cam] = methodList(registry);

  test('methods that map every class at once get the other classes too, when asked', () => {
    expect(explainTargets(occ, 2, [3, 2, 0, 1], true)).toEqual([2, 3, 0, 1]);
    expect(explainTargets(occ, 2, [3, 2, 0, 1], false)).toBe(2);
    expect(explainTargets(cam, 2, [3, 2, 0, 1], true)).toBe(2);
  });

  test('the layer goes only to layer methods, and not when it is the default', () => {
    expect(layerRequest(occ, ['conv'], 'conv')).toBeUndefined();
    expect(layerRequest(cam, ['conv'], 'conv')).toBeUndefined();
    expect(layerRequest(cam, ['block1'], 'conv')).toBe('block1');
    expect(layerRequest(cam, ['block1', 'conv', 'block1'], 'conv')).toEqual(['block1', 'conv']);
    expect(layerRequest({ ...cam, layers: 'one' }, ['block1', 'conv'], 'conv')).toBe('block1');
    expect(layerRequest(cam, [], 'conv')).toBeUndefined();
  });
});
