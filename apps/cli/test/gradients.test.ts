// `xai gradients`: the gradient graph as a standalone ONNX file, run by onnxruntime-node alone,
// gives the API's numbers (and so pytorch-grad-cam's and Captum's on the golden case).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { fixturePath, nchwToNhwc, readFixtureFloat32, relativeError, useBackend } from '@xai/testing';
import { loadOnnxModel, type OnnxClassifier } from '@xai/onnx/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratchDir, xai } from './run-cli.js';

const model = fixturePath('tiny-chelsea', 'model.onnx');

describe('xai gradients', () => {
  beforeAll(() => useBackend('cpu'));

  it('writes a graph that onnxruntime runs to the API’s gradients at two layers and the input, plain and guided', async () => {
    const dir = scratchDir();
    const input = readFixtureFloat32('tiny-chelsea', 'input.npy');
    const x = tf.tensor4d(nchwToNhwc(input.data, input.shape).data, [1, 64, 64, 3]);
    const api = (await loadOnnxModel(model, { engine: 'tfjs', workers: 1 })) as OnnxClassifier;
    const before = tf.memory().numTensors;
    const nchw = async (t: tf.Tensor) => {
      const laid = tf.transpose(t, [0, 3, 1, 2]);
      const data = await laid.data();
      laid.dispose();
      return data;
    };
    for (const rule of ['gradient', 'guided'] as const) {
      const out = join(dir, `${rule}.onnx`);
      const run = await xai('gradients', model, '--layer', 'layer4,layer3', '--input', '--rule', rule, '-o', out, '--json');
      expect(run.code, run.stderr).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary).toMatchObject({ file: out, opset: 17, rule });
      expect(summary.inputs.map((i: { name: string; shape: unknown[] }) => [i.name, i.shape])).toEqual([['input', ['batch', 3, 64, 64]], ['seed', ['batch', 4]]]);
      expect(summary.outputs.map((o: { name: string }) => o.name)).toEqual(['logits', 'activations:layer4', 'activations:layer3', 'gradient:layer4', 'gradient:layer3', 'gradient:input']);

      const session = await ort.InferenceSession.create(readFileSync(out));
      const seed = new Float32Array([0, 1, 0, 0]);
      const got = await session.run({ input: new ort.Tensor('float32', input.data, input.shape), seed: new ort.Tensor('float32', seed, [1, 4]) });
      const g = await api.inputGradients(x, 1, { rule });
      const expected = await nchw(g);
      expect(relativeError(got['gradient:input'].data as Float32Array, expected)).toBeLessThan(1e-4);
      if (rule === 'gradient') {
        const golden = readFixtureFloat32('tiny-chelsea', 'baselines', 'saliency.npy').data;
        expect(relativeError(Float32Array.from(got['gradient:input'].data as Float32Array, Math.abs), golden)).toBeLessThan(1e-4);
        for (const layer of ['layer3', 'layer4']) {
          const pass = await api.activationsAndGradient(x, api.resolveLayer(layer), 1);
          expect(relativeError(got[`gradient:${layer}`].data as Float32Array, await nchw(pass.gradient))).toBeLessThan(1e-4);
          tf.dispose([pass.activations, pass.gradient, pass.logits]);
        }
      }
      g.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    api.dispose();
    x.dispose();
  });

  it.each([
    [['--layer', 'layer4'], '-o OUT.onnx is required'],
    [['-o', 'x.onnx'], 'give --layer NAME[,NAME…], --input, or both'],
    [['--layer', 'layer9', '-o', 'x.onnx'], '--layer: Unknown layer "layer9". Closest: layer1, layer2, layer3'],
    [['--input', '--rule', 'lrp', '-o', 'x.onnx'], '--rule must be one of gradient, guided, got "lrp"'],
  ])('bad usage %j exits 2 before writing anything: %s', async (flags, message) => {
    const dir = scratchDir();
    const run = await xai('gradients', model, ...flags.map((f) => (f === 'x.onnx' ? join(dir, f) : f)));
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(existsSync(join(dir, 'x.onnx'))).toBe(false);
  });

  it('refuses a file that is not .onnx, and a missing one, saying what it takes', async () => {
    const dir = scratchDir();
    const notOnnx = await xai('gradients', 'model.json', '--input', '-o', join(dir, 'x.onnx'));
    expect(notOnnx.code).toBe(2);
    expect(notOnnx.stderr).toContain('gradients takes an .onnx model, got "model.json"');
    const missing = await xai('gradients', join(dir, 'missing.onnx'), '--input', '-o', join(dir, 'x.onnx'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read the model file');
  });
});
