import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MethodRegistry, XaiError, explainWith, prepareMethod, type Classifier, type MethodDescriptor } from '@xai/core';
import { SpatialLinearClassifier, expectNoLeak, expectRejectsWithoutLeak, linearClassifier, uniformArray, useBackend } from '@xai/testing';
import { ATTRIBUTION_METHODS, guidedBackprop, inputXGradient, integratedGradients, occlusion, saliency, smoothGrad } from '../src/index.js';
import { linearModel } from './helpers/gradient-classifier.js';

beforeAll(() => useBackend('wasm'));

const GRADIENT_METHODS = [saliency, inputXGradient, integratedGradients, guidedBackprop, smoothGrad];

describe('descriptors', () => {
  it('lists the six attributions in order, with their ids and labels', () => {
    expect(ATTRIBUTION_METHODS.map((m) => [m.id, m.label])).toEqual([
      ['saliency', 'Saliency'],
      ['input-x-gradient', 'Input × Gradient'],
      ['integrated-gradients', 'Integrated Gradients'],
      ['guided-backprop', 'Guided Backprop'],
      ['smoothgrad', 'SmoothGrad'],
      ['occlusion', 'Occlusion'],
    ]);
    expect(ATTRIBUTION_METHODS).toEqual([saliency, inputXGradient, integratedGradients, guidedBackprop, smoothGrad, occlusion]);
  });

  it('work on the input (no layer); all white-box but occlusion; each cites its paper', () => {
    for (const m of ATTRIBUTION_METHODS) {
      expect(m.layers).toBe('none');
      expect(m.box).toBe(m === occlusion ? 'black' : 'white');
      expect(m.paper.url).toMatch(/^https:\/\/arxiv\.org\//);
      expect(m.paper.title.length).toBeGreaterThan(10);
    }
    expect(saliency.paper).toMatchObject({ authors: 'Simonyan, Vedaldi, Zisserman', year: 2014 });
    expect(integratedGradients.paper).toMatchObject({ authors: 'Sundararajan, Taly, Yan', year: 2017 });
    expect(guidedBackprop.paper).toMatchObject({ authors: expect.stringMatching(/^Springenberg/), year: 2015 });
    expect(smoothGrad.paper).toMatchObject({ authors: expect.stringMatching(/^Smilkov/), year: 2017 });
    expect(occlusion.paper).toMatchObject({ authors: 'Zeiler, Fergus', year: 2014 });
    expect(occlusion.everyClassAtOnce).toBe(true);
  });

  it('have the parameters and defaults of SPEC.md and Captum', () => {
    const defaults = (m: MethodDescriptor) => Object.fromEntries(m.params.map((p) => [p.name, p.default]));
    expect(defaults(saliency)).toEqual({});
    expect(defaults(integratedGradients)).toEqual({ steps: 32, rule: 'gausslegendre', baseline: 'zeros', blurSigma: 5 });
    expect(defaults(smoothGrad)).toEqual({ samples: 50, noise: 0.15, seed: 0, base: 'saliency', steps: 32, rule: 'gausslegendre', baseline: 'zeros', blurSigma: 5 });
    expect(defaults(occlusion)).toEqual({ window: 16, stride: 8, baseline: 'zeros', blurSigma: 5 });
    expect(integratedGradients.params.find((p) => p.name === 'rule')).toMatchObject({
      choices: ['gausslegendre', 'riemann-left', 'riemann-right', 'riemann-middle', 'riemann-trapezoid'],
    });
    expect(integratedGradients.params.find((p) => p.name === 'steps')).toMatchObject({ type: 'int', min: 1, max: 1024 });
  });

  it('register in a MethodRegistry, one type per shared parameter name', () => {
    const registry = new MethodRegistry(ATTRIBUTION_METHODS);
    expect(registry.ids()).toHaveLength(6);
    expect(registry.label('input-x-gradient')).toBe('Input × Gradient');
    const shared = registry.parameters().find((p) => p.spec.name === 'baseline');
    expect(shared?.methods.map((m) => m.id)).toEqual(['integrated-gradients', 'smoothgrad', 'occlusion']);
  });

  it('record the method, its parameters and the engine in each map', async () => {
    const { model } = linearModel(4, 4, 3, 2);
    const image = tf.tensor4d(uniformArray(48, 1), [1, 4, 4, 3]);
    const [map] = await expectNoLeak(() => explainWith(occlusion, model, image, { targets: 1, params: { window: '2', stride: '1' } }));
    image.dispose();
    expect(map.method).toBe('occlusion');
    expect(map.params).toMatchObject({ window: 2, stride: 1, baseline: 'zeros', engine: 'test:gradient', targetChosenBy: 'caller', windows: 9 });
  });

  it('occlusion needs only predict: it runs on a black-box model', async () => {
    const size = { height: 4, width: 4, channels: 1 };
    const model = linearClassifier(size, uniformArray(16 * 2, 3));
    const image = tf.tensor4d(uniformArray(16, 4), [1, 4, 4, 1]);
    const [map] = await expectNoLeak(() => explainWith(occlusion, model, image, { targets: 0, params: { window: 2, stride: 2 } }));
    image.dispose();
    expect(map.attribution?.channels).toBe(1);
    expect(model.predictCalls).toBe(2);
  });
});

describe('bad input is refused with a clear XaiError before anything runs', () => {
  const { model } = linearModel(8, 8, 3, 3);
  const image = () => tf.tensor4d(uniformArray(8 * 8 * 3, 2), [1, 8, 8, 3]);

  /** Refused by `explainWith` (targets 'top', so a forward pass would show), nothing run, no leak. */
  async function refused(method: MethodDescriptor, params: Record<string, unknown>, on: Classifier = model, extra = {}): Promise<string> {
    const before = { predict: model.predictCalls, gradient: model.gradientCalls };
    const input = image();
    try {
      const error = await expectRejectsWithoutLeak(() => explainWith(method, on, input, { params, ...extra }));
      expect(error).toBeInstanceOf(XaiError);
      expect(() => prepareMethod(method, on, { params, ...extra })).toThrow(error.message);
      expect({ predict: model.predictCalls, gradient: model.gradientCalls }).toEqual(before);
      return error.message;
    } finally {
      input.dispose();
    }
  }

  it('steps 0, or one step with a Riemann rule', async () => {
    expect(await refused(integratedGradients, { steps: 0 })).toBe('integrated-gradients: steps must be a whole number from 1 to 1024, got 0');
    expect(await refused(integratedGradients, { steps: '1.5' })).toMatch(/steps must be a whole number from 1 to 1024, got "1.5"/);
    expect(await refused(integratedGradients, { steps: 1, rule: 'riemann-middle' })).toBe(
      'integrated-gradients: steps must be ≥ 2 with rule riemann-middle (as Captum), got 1; gausslegendre takes 1 or more',
    );
    expect(await refused(smoothGrad, { base: 'integrated-gradients', steps: 1, rule: 'riemann-left' })).toMatch(/^smoothgrad: steps must be ≥ 2 with rule riemann-left/);
    expect(await refused(integratedGradients, { rule: 'simpson' })).toMatch(
      /rule must be one of gausslegendre, riemann-left, riemann-right, riemann-middle, riemann-trapezoid, got "simpson"/,
    );
  });

  it('a window larger than the image, a stride of 0, a stride larger than the window', async () => {
    expect(await refused(occlusion, { window: 9 })).toBe(
      'occlusion: the window (9×9) is larger than the image (8×8); window must be a whole number from 1 to 8',
    );
    expect(await refused(occlusion, { window: 4, stride: 0 })).toBe('occlusion: stride must be a whole number from 1 to 65536, got 0');
    expect(await refused(occlusion, { window: 0 })).toMatch(/^occlusion: window must be a whole number from 1 to 65536, got 0/);
    expect(await refused(occlusion, { window: 3, stride: 4 })).toBe(
      'occlusion: the stride (4) is larger than the window (3), which would leave pixels that no window covers; stride must be from 1 to 3',
    );
    // A window as large as the image needs no stride.
    const input = image();
    const [map] = await expectNoLeak(() => explainWith(occlusion, model, input, { targets: 0, params: { window: 8, stride: 100 } }));
    input.dispose();
    expect(map.params.windows).toBe(1);
  });

  it('other bad parameters: noise, samples, a baseline, a layer', async () => {
    expect(await refused(smoothGrad, { noise: -0.1 })).toMatch(/^smoothgrad: noise must be a number from 0 to 10, got -0.1/);
    expect(await refused(smoothGrad, { samples: 0 })).toMatch(/^smoothgrad: samples must be a whole number from 1/);
    expect(await refused(smoothGrad, { base: 'occlusion' })).toMatch(/base must be one of saliency, input-x-gradient, integrated-gradients, guided-backprop/);
    expect(await refused(integratedGradients, { baseline: 'noise' })).toMatch(/baseline must be one of zeros, blur, got "noise"/);
    expect(await refused(saliency, { steps: 3 })).toBe('saliency: unknown parameter steps; accepted: none');
    expect(await refused(saliency, {}, model, { layer: 'conv1' })).toBe('Saliency works on the input and takes no layer; got layer conv1');
  });

  it.each(GRADIENT_METHODS.map((m) => [m.id, m] as const))('%s on a black-box model (predict only)', async (_id, method) => {
    const blackBox = linearClassifier({ height: 8, width: 8, channels: 3 }, uniformArray(8 * 8 * 3 * 3, 5));
    const message = await refused(method, {}, blackBox);
    expect(message).toMatch(new RegExp(`^${method.label} needs a model that gives layer activations and gradients`));
    expect(message).toMatch(/this model \(engine test:linear\) can only predict/);
    expect(blackBox.predictCalls).toBe(0);
  });

  it.each(GRADIENT_METHODS.map((m) => [m.id, m] as const))('%s on a white-box model without input gradients', async (_id, method) => {
    const whiteBox = new SpatialLinearClassifier({ size: 8 });
    const message = await refused(method, {}, whiteBox);
    expect(message).toBe(
      `${method.label} needs the gradient of a class logit with respect to the input, which this model (engine test:spatial-linear) does not give; ` +
        'use a tfjs LayersModel or GraphModel, or an ONNX model the tfjs graph can run, or a black-box method such as occlusion',
    );
    expect(whiteBox.predictCalls + whiteBox.gradientCalls).toBe(0);
  });
});
