import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { formatNpy, npyToFloat32 } from '@xai/core';
import { readNpyFile } from '@xai/core/node';
import { fixturePath, maxAbsDiff, readFixtureFloat32, useBackend } from '@xai/testing';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { scratchDir, xai } from './run-cli.js';

/**
 * `blackBox.on` makes every model the CLI opens a black box: the same model without
 * `inputGradients` (predict only), as a model whose engine gives no gradients would be.
 */
const blackBox = vi.hoisted(() => ({ on: false }));
vi.mock('../src/model.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/model.js')>();
  return {
    ...original,
    openModel: async (...args: Parameters<typeof original.openModel>) => {
      const opened = await original.openModel(...args);
      if (!blackBox.on) return opened;
      const model = new Proxy(opened.model, {
        get(target, key) {
          if (key === 'inputGradients') return undefined;
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      return { ...opened, model };
    },
  };
});

const golden = (file: string) => fixturePath('tiny-chelsea', file);
const model = golden('model.onnx');
const tensor = golden('input.npy');
const photo = golden('image.png');

/** CLI id → the Captum baseline's file (SPEC.md "Gradient attributions"). */
const BASELINES: Record<string, string> = {
  saliency: 'saliency',
  'input-x-gradient': 'input_x_gradient',
  'integrated-gradients': 'integrated_gradients',
  'guided-backprop': 'guided_backprop',
  occlusion: 'occlusion',
};

describe('xai explain with the pixel attributions (tiny-chelsea, Captum baselines)', () => {
  beforeAll(() => useBackend('wasm'));

  it('writes <id>.attribution.npy (1×3×64×64, NCHW as the ONNX model) equal to Captum, <id>.npy = Σ_c |attr|, figures and explain.json', async () => {
    const out = scratchDir();
    const before = tf.memory().numTensors;
    const run = await xai('explain', '--tensor', tensor, '--model', model, '--method', Object.keys(BASELINES).join(','), '--class', '1',
      '--window', '8', '--stride', '4', '--out', out, '--quiet');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const dir = join(out, 'input');
    const report = JSON.parse(readFileSync(join(dir, 'explain.json'), 'utf8'));
    expect(report.model.input.layout).toBe('NCHW');
    for (const [id, file] of Object.entries(BASELINES)) {
      const expected = readFixtureFloat32('tiny-chelsea', 'baselines', file + '.npy');
      const written = await readNpyFile(join(dir, `${id}.attribution.npy`));
      expect(written.shape, id).toEqual([1, 3, 64, 64]);
      const attribution = npyToFloat32(written);
      const scale = expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(maxAbsDiff(attribution, expected.data), id).toBeLessThanOrEqual(1e-4 * scale);
      // The H×W map: the channel sum of |attribution|.
      const map = await readNpyFile(join(dir, `${id}.npy`));
      expect(map.shape, id).toEqual([64, 64]);
      const sum = new Float32Array(64 * 64);
      for (let c = 0; c < 3; c++) for (let p = 0; p < 64 * 64; p++) sum[p] += Math.abs(attribution[c * 64 * 64 + p]);
      expect(maxAbsDiff(npyToFloat32(map), sum), id).toBeLessThan(1e-5 * scale);
      // The figure is a PNG.
      const png = readFileSync(join(dir, `${id}.png`));
      expect(Array.from(png.subarray(0, 8)), id).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      // explain.json: every parameter and the attribution file.
      const entry = report.methods[id];
      expect(entry.classIndex, id).toBe(1);
      expect(entry.files, id).toContain(join(dir, `${id}.attribution.npy`));
      expect(entry.attribution, id).toEqual({
        layout: 'NCHW', shape: [1, 3, 64, 64], signed: true, map: 'channel sum of |attribution|', file: join(dir, `${id}.attribution.npy`),
      });
    }
    expect(report.methods['integrated-gradients'].params).toMatchObject({ steps: 32, rule: 'gausslegendre', baseline: 'zeros' });
    expect(report.methods.occlusion.params).toMatchObject({ window: 8, stride: 4, baseline: 'zeros' });
  });

  it('several classes: T×C×H×W in class order', async () => {
    const out = scratchDir();
    const run = await xai('explain', '--tensor', tensor, '--model', model, '--method', 'saliency', '--class', '2,1', '--out', out, '--quiet', '--format', 'npy');
    expect(run.code, run.stderr).toBe(0);
    const written = await readNpyFile(join(out, 'input', 'saliency.attribution.npy'));
    expect(written.shape).toEqual([2, 3, 64, 64]);
    const expected = readFixtureFloat32('tiny-chelsea', 'baselines', 'saliency.npy');
    const class1 = npyToFloat32(written).subarray(0, 3 * 64 * 64);
    const scale = expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbsDiff(class1, expected.data)).toBeLessThanOrEqual(1e-4 * scale);
    expect((await readNpyFile(join(out, 'input', 'saliency.npy'))).shape).toEqual([2, 64, 64]);
  });

  it.each([
    [['--method', 'integrated-gradients', '--steps', '0'], /--steps \(integrated-gradients\) must be a whole number from 1/],
    [['--method', 'smoothgrad', '--steps', '0'], /--steps \(smoothgrad\) must be a whole number from 1/],
    [['--method', 'occlusion', '--window', '999'], /occlusion: the window \(999×999\) is larger than the image \(64×64\)/],
    [['--method', 'occlusion', '--stride', '0'], /--stride \(occlusion\) must be a whole number from 1/],
    [['--method', 'smoothgrad', '--samples', '0'], /--samples \(smoothgrad\) must be a whole number from 1/],
  ])('%j is a usage error (exit 2) before any input is read', async (flags, message) => {
    const before = tf.memory().numTensors;
    // The tensor file does not exist: reading it would fail with exit 1, not 2.
    const run = await xai('explain', '--tensor', join(scratchDir(), 'missing.npy'), '--model', model, ...(flags as string[]), '--quiet');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message as RegExp);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a gradient method on a black-box model is a usage error naming the method; occlusion still runs', async () => {
    blackBox.on = true;
    try {
      const before = tf.memory().numTensors;
      for (const method of ['saliency', 'input-x-gradient', 'integrated-gradients', 'guided-backprop', 'smoothgrad']) {
        const run = await xai('explain', '--tensor', join(scratchDir(), 'missing.npy'), '--model', model, '--method', method, '--quiet');
        expect(run.code, `${method}: ${run.stderr}`).toBe(2);
        expect(run.stderr).toMatch(/needs the gradient of a class logit with respect to the input, which this model .* does not give/);
        expect(run.stderr).toMatch(/black-box method such as occlusion/);
      }
      const out = scratchDir();
      const run = await xai('explain', '--tensor', tensor, '--model', model, '--method', 'occlusion', '--class', '1', '--window', '8', '--stride', '4',
        '--out', out, '--quiet', '--format', 'npy');
      expect(run.code, run.stderr).toBe(0);
      expect(existsSync(join(out, 'input', 'occlusion.attribution.npy'))).toBe(true);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      blackBox.on = false;
    }
  });

  it('compare --methods saliency,occlusion runs both and lists them in the table, results.json and report.html', async () => {
    const out = scratchDir();
    const before = tf.memory().numTensors;
    const run = await xai('compare', photo, '--model', model, '--preprocessing', 'imagenet', '--methods', 'saliency,occlusion', '--window', '8',
      '--stride', '4', '--step', '512', '--out', out, '--quiet');
    expect(run.code, run.stderr).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(run.stdout).toMatch(/^saliency\s+1\s+[\d.]+\s+[\d.]+$/m);
    expect(run.stdout).toMatch(/^occlusion\s+1\s+[\d.]+\s+[\d.]+$/m);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.methods).toEqual(['saliency', 'occlusion']);
    for (const method of ['saliency', 'occlusion']) {
      expect(results.summary.table[method].insertion.images, method).toBe(1);
      expect(Number.isFinite(results.summary.table[method].insertion.mean), method).toBe(true);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Saliency');
    expect(html).toContain('Occlusion');
  });
});

describe('--baseline FILE.npy (Integrated Gradients, Occlusion, SmoothGrad over IG)', () => {
  beforeAll(() => useBackend('wasm'));
  const methods = 'integrated-gradients,occlusion';
  const attribution = async (dir: string, id: string) => npyToFloat32(await readNpyFile(join(dir, 'input', `${id}.attribution.npy`)));
  const zerosFile = (dir: string, shape: number[]) => {
    const path = join(dir, 'zeros.npy');
    writeFileSync(path, formatNpy({ dtype: 'float32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }));
    return path;
  };

  it('a file of zeros gives the bytes of --baseline zeros, and explain.json records the file by name and hash', async () => {
    const before = tf.memory().numTensors;
    const named = scratchDir();
    const given = scratchDir();
    const common = ['--tensor', tensor, '--model', model, '--method', methods, '--class', '1', '--steps', '4', '--window', '8', '--stride', '8',
      '--format', 'npy,json', '--quiet'];
    expect((await xai('explain', ...common, '--out', named, '--baseline', 'zeros')).code).toBe(0);
    const run = await xai('explain', ...common, '--out', given, '--baseline', zerosFile(given, [1, 3, 64, 64]));
    expect(run.code, run.stderr).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    for (const id of methods.split(',')) expect(await attribution(given, id), id).toEqual(await attribution(named, id));
    const report = JSON.parse(readFileSync(join(given, 'input', 'explain.json'), 'utf8'));
    for (const id of methods.split(',')) expect(report.methods[id].params.baseline, id).toMatch(/^zeros\.npy sha256:[0-9a-f]{16}$/);
  });

  it('the input itself as the baseline leaves nothing to attribute: every value 0 (the NCHW file read in its layout)', async () => {
    const before = tf.memory().numTensors;
    const out = scratchDir();
    const same = join(out, 'same.npy');
    copyFileSync(tensor, same);
    const run = await xai('explain', '--tensor', tensor, '--model', model, '--method', `${methods},smoothgrad`, '--base', 'integrated-gradients',
      '--samples', '2', '--noise', '0', '--class', '1', '--steps', '4', '--window', '8', '--stride', '8', '--baseline', same, '--out', out,
      '--format', 'npy', '--quiet');
    expect(run.code, run.stderr).toBe(0);
    for (const id of [...methods.split(','), 'smoothgrad']) {
      const values = await attribution(out, id);
      expect(values.length, id).toBe(3 * 64 * 64);
      expect(values.every((v) => v === 0), id).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each([
    ['wrong shape', (dir: string) => zerosFile(dir, [1, 64, 64, 3]), [], /--baseline .*zeros\.npy has shape \(1, 64, 64, 3\); the model takes one input of \(1, 3, 64, 64\) in NCHW layout/],
    ['not a .npy name', () => 'grey', [], /--baseline takes zeros, blur or FILE\.npy; got "grey"/],
    ['a missing file', (dir: string) => join(dir, 'missing.npy'), [], /--baseline takes zeros, blur or FILE\.npy; the file .*missing\.npy does not exist/],
    ['not a .npy file', (dir: string) => { const p = join(dir, 'bad.npy'); writeFileSync(p, 'hello'); return p; }, [], /bad\.npy: not a \.npy file/],
    ['with --blur-sigma', (dir: string) => zerosFile(dir, [1, 3, 64, 64]), ['--blur-sigma', '2'], /--blur-sigma goes with --baseline blur/],
  ])('%s is a usage error (exit 2) before any input is read', async (_what, file, extra, message) => {
    const dir = scratchDir();
    const run = await xai('explain', '--tensor', join(dir, 'missing-input.npy'), '--model', model, '--method', 'integrated-gradients',
      '--baseline', (file as (d: string) => string)(dir), ...(extra as string[]), '--quiet');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message as RegExp);
  });

  it('a baseline file with no method that takes one is a usage error', async () => {
    const dir = scratchDir();
    const run = await xai('explain', '--tensor', tensor, '--model', model, '--method', 'saliency', '--baseline', zerosFile(dir, [1, 3, 64, 64]), '--quiet');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--baseline is a parameter of integrated-gradients, smoothgrad, occlusion; none of the chosen methods \(saliency\) takes it/);
  });

  it('--help shows the file form', async () => {
    const run = await xai('explain', '--help');
    expect(run.stdout).toMatch(/--baseline zeros\|blur\|FILE\.npy/);
  });
});
