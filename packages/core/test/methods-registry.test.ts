import { describe, expect, it } from 'vitest';
import { XaiError } from '../src/errors.js';
import type { MethodDescriptor } from '../src/methods/descriptor.js';
import type { ParamSpec } from '../src/methods/params.js';
import { MethodRegistry } from '../src/methods/registry.js';

const PAPER = { title: 'A paper', authors: 'Someone', year: 2020, url: 'https://example.org/paper' };

function method(id: string, params: ParamSpec[] = [], label = id.toUpperCase()): MethodDescriptor {
  return { id, label, paper: PAPER, box: 'black', layers: 'none', params, run: async () => [] };
}

const batch: ParamSpec = { name: 'batchSize', type: 'int', default: 32, min: 1, help: 'batch' };
const masks: ParamSpec = { name: 'numMasks', type: 'int', default: 4000, min: 1, help: 'masks' };
const masksOther: ParamSpec = { name: 'numMasks', type: 'int', default: 1000, min: 1, help: 'fewer masks' };
const sigma: ParamSpec = { name: 'sigma', type: 'number', default: 1, help: 'blur' };

describe('MethodRegistry', () => {
  it('registers methods and answers for them', () => {
    const rise = method('rise', [masks], 'RISE');
    const gradCam = method('grad-cam', [], 'Grad-CAM');
    const registry = new MethodRegistry([rise]).register(gradCam);
    expect(registry.ids()).toEqual(['rise', 'grad-cam']);
    expect(registry.list()).toEqual([rise, gradCam]);
    expect(registry.has('rise')).toBe(true);
    expect(registry.has('lime')).toBe(false);
    expect(registry.get('grad-cam')).toBe(gradCam);
    expect(registry.label('grad-cam')).toBe('Grad-CAM');
    expect(registry.label('lime')).toBe('lime');
    expect(() => registry.get('lime')).toThrow(new XaiError('Unknown method "lime"; methods: rise, grad-cam'));
    expect(new MethodRegistry().ids()).toEqual([]);
  });

  it('refuses an id taken already', () => {
    const registry = new MethodRegistry([method('rise')]);
    expect(() => registry.register(method('rise'))).toThrow(new XaiError('A method with id "rise" is registered already'));
    expect(() => new MethodRegistry([method('a'), method('a')])).toThrow(/id "a" is registered already/);
    expect(registry.ids()).toEqual(['rise']);
  });

  it('refuses ids that are not lower-case, dash-separated and starting with a letter', () => {
    const registry = new MethodRegistry();
    for (const id of ['Grad-CAM', 'grad_cam', '1cam', '-cam', '', 'grad cam', 'gradcam!']) {
      expect(() => registry.register(method(id))).toThrow(
        `A method id is lower-case letters, digits and dashes, starting with a letter; got "${id}"`,
      );
    }
    expect(() => registry.register(method('score-cam2'))).not.toThrow();
    expect(registry.ids()).toEqual(['score-cam2']);
  });

  it('refuses a parameter whose type contradicts another method’s', () => {
    const registry = new MethodRegistry([method('rise', [masks, sigma])]);
    const bad = method('other', [{ name: 'sigma', type: 'int', default: 1, help: 'a count' }]);
    expect(() => registry.register(bad)).toThrow(new XaiError('other: parameter sigma is int, but rise has it as number; one name, one type'));
    const choice = method('third', [{ name: 'numMasks', type: 'choice', default: 'a', choices: ['a'], help: '' }]);
    expect(() => registry.register(choice)).toThrow(/third: parameter numMasks is choice, but rise has it as int/);
    expect(registry.has('other')).toBe(false);
    expect(registry.has('third')).toBe(false);
  });

  it('merges parameters shared by name, first-seen order, listing the methods that take each', () => {
    const rise = method('rise', [masks, batch]);
    const riseGauss = method('rise-gaussian', [masksOther, sigma, batch]);
    const gradCam = method('grad-cam', [batch]);
    const registry = new MethodRegistry([rise, riseGauss, gradCam]);
    const shared = registry.parameters();
    expect(shared.map((p) => p.spec.name)).toEqual(['numMasks', 'batchSize', 'sigma']);
    expect(shared.map((p) => p.methods.map((m) => m.id))).toEqual([['rise', 'rise-gaussian'], ['rise', 'rise-gaussian', 'grad-cam'], ['rise-gaussian']]);
    // The first method's spec stands for the name (its default and help).
    expect(shared[0].spec).toBe(masks);
  });
});
