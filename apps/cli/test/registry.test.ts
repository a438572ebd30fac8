import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { saliencyMap, type MethodDescriptor } from '@xai/core';
import { readNpyFile } from '@xai/core/node';
import { fixturePath, useBackend } from '@xai/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../src/registry.js';
import { scratchDir, xai } from './run-cli.js';

const onnx = ['--model', fixturePath('tiny-chelsea', 'model.onnx'), '--preprocessing', 'imagenet'];
const photo = fixturePath('tiny-chelsea', 'image.png');

/** A method defined here, in the test: the map is `level` times the column index. */
const columns: MethodDescriptor = {
  id: 'test-columns',
  label: 'Columns (test)',
  paper: { title: 'none', authors: 'the test', year: 2026, url: 'https://example.invalid' },
  box: 'black',
  layers: 'none',
  params: [{ name: 'columnLevel', type: 'number', default: 1, min: 0, max: 10, help: 'how steep the ramp is' }],
  async run(model, _image, params, context) {
    const { height, width } = model.input;
    return context.targets.map((t) =>
      saliencyMap({
        data: Float32Array.from({ length: height * width }, (_, i) => (i % width) * (params.columnLevel as number)),
        height, width, classIndex: t.index, method: 'test-columns', params: {},
      }),
    );
  },
};

describe('methods come from the registry', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    if (!registry.has(columns.id)) registry.register(columns);
  });

  it('a method registered in a test shows in the help of explain, compare and evaluate, with its parameter', async () => {
    for (const command of ['explain', 'compare', 'evaluate']) {
      const help = await xai(command, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout, command).toMatch(/test-columns\s+Columns \(test\)/);
      expect(help.stdout, command).toMatch(/--column-level X\s+Columns \(test\): how steep the ramp is \(default: 1\)/);
    }
  });

  it('explain runs it, checks its parameter and writes its map', async () => {
    const bad = await xai('explain', ...onnx, photo, '--method', 'test-columns', '--column-level', '11', '--quiet');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--column-level \(test-columns\) must be a number from 0 to 10, got "11"/);
    const out = scratchDir();
    const run = await xai('explain', ...onnx, photo, '--method', 'test-columns', '--column-level', '2', '--out', out, '--quiet');
    expect(run.code).toBe(0);
    const map = await readNpyFile(join(out, 'image', 'test-columns.npy'));
    expect(map.shape).toEqual([64, 64]);
    expect(Array.from((map.data as Float32Array).slice(0, 3))).toEqual([0, 2, 4]);
    const report = JSON.parse(readFileSync(join(out, 'image', 'explain.json'), 'utf8'));
    expect(report.methods['test-columns']).toMatchObject({ label: 'Columns (test)', params: { columnLevel: 2 } });
  });

  it('compare scores it beside a built-in method and labels it in the report', async () => {
    const out = scratchDir();
    const before = tf.memory().numTensors;
    const run = await xai('compare', photo, ...onnx, '--methods', 'test-columns,grad-cam', '--step', '512', '--out', out, '--quiet');
    expect(run.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(run.stdout).toMatch(/test-columns\s+1\s+\d\.\d{4}\s+\d\.\d{4}/);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.methods).toEqual(['test-columns', 'grad-cam']);
    expect(results.protocol.settings['test-columns']).toEqual({ columnLevel: 1 });
    expect(results.protocol.settings['grad-cam']).toEqual({ layer: 'layer4' });
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<th>Columns (test)</th>');
  });
});

describe('a layer is checked before any input is read', () => {
  beforeAll(() => useBackend('wasm'));

  it('a mistyped layer is a usage error naming the close match, the default and the count', async () => {
    const missing = join(scratchDir(), 'never-read.png');
    const run = await xai('explain', ...onnx, missing, '--method', 'grad-cam', '--layer', 'layr4');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unknown layer "layr4"\. Closest: layer4/);
    expect(run.stderr).toMatch(/The default layer is layer4\. The model has \d+ layers; `xai layers`/);
    // The image does not exist: had it been read, the error would be about it.
    expect(run.stderr).not.toMatch(/never-read/);
  });

  it('compare refuses it before the first image, writing nothing', async () => {
    const out = join(scratchDir(), 'run');
    const run = await xai('compare', photo, ...onnx, '--methods', 'abs-cam-init', '--layer', 'layer9', '--out', out);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unknown layer "layer9"\. Closest: layer1/);
    expect(existsSync(out)).toBe(false);
  });

  it('a flag that none of the chosen methods takes is refused', async () => {
    const run = await xai('explain', ...onnx, photo, '--method', 'grad-cam', '--n', '100');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--n is a parameter of rise, rise-gaussian; none of the chosen methods \(grad-cam\) takes it/);
    const layer = await xai('explain', ...onnx, photo, '--method', 'rise', '--layer', 'layer4');
    expect(layer.code).toBe(2);
    expect(layer.stderr).toMatch(/--layer applies to layer methods/);
  });
});
