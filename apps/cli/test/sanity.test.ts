import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@xai/testing';
import { demoSampleFiles } from '@xai/zoo/node';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/main.js';
import { scratchDir, xai } from './run-cli.js';

/** Members hidden from every model the CLI opens: a model that cannot give gradients, or cannot re-initialise its weights. */
const hidden = vi.hoisted(() => ({ keys: new Set<string>() }));
vi.mock('../src/model.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/model.js')>();
  return {
    ...original,
    openModel: async (...args: Parameters<typeof original.openModel>) => {
      const opened = await original.openModel(...args);
      if (hidden.keys.size === 0) return opened;
      const model = new Proxy(opened.model, {
        get(target, key) {
          if (typeof key === 'string' && hidden.keys.has(key)) return undefined;
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      return { ...opened, model };
    },
  };
});

const star = demoSampleFiles('star-1').image;

interface SanityJson {
  class: { index: number; name: string; probability: number };
  seed: number;
  method: { id: string };
  cascade: { step: number; layer: string; layers: string[]; spearman: number; ssim: number }[];
  randomLogit: { classIndex: number; className: string; spearman: number; ssim: number };
  files: { figure: string; json: string };
}

describe('xai sanity', () => {
  beforeAll(() => useBackend('wasm'));

  it('writes the figure and the numbers of the cascade and of the random logit; the same seed gives the same numbers', async () => {
    const before = tf.memory().numTensors;
    const out = scratchDir();
    const run = await xai('sanity', star, '--method', 'saliency', '--layers', '3', '--out', out);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/saliency randomisation: 4\/4 \(100%\)/);
    const path = join(out, 'star-1', 'sanity-saliency.json');
    const report = JSON.parse(readFileSync(path, 'utf8')) as SanityJson;
    expect(report.class).toMatchObject({ index: 3, name: 'star' });
    expect(report.seed).toBe(0);
    expect(report.cascade.map((s) => s.layers)).toEqual([['logits'], ['logits', 'stage3_proj_bn'], ['logits', 'stage3_proj_bn', 'stage3_bn2']]);
    for (const s of [...report.cascade, report.randomLogit]) {
      expect(Math.abs(s.spearman)).toBeLessThan(1);
      expect(Math.abs(s.ssim)).toBeLessThan(1);
    }
    expect(report.randomLogit.classIndex).not.toBe(3);
    expect(report.files.figure).toBe(join(out, 'star-1', 'sanity-saliency.png'));
    const figure = await sharp(report.files.figure).metadata();
    expect(figure.format).toBe('png');
    expect(figure.width).toBeGreaterThan(5 * 112); // input, trained model, 3 steps, random logit
    expect(tf.memory().numTensors).toBe(before);

    const again = scratchDir();
    expect((await xai('sanity', star, '--method', 'saliency', '--layers', '3', '--out', again, '--quiet')).code).toBe(0);
    const second = JSON.parse(readFileSync(join(again, 'star-1', 'sanity-saliency.json'), 'utf8')) as SanityJson;
    expect(second.cascade).toEqual(report.cascade);
    expect(second.randomLogit).toEqual(report.randomLogit);
    const other = scratchDir();
    expect((await xai('sanity', star, '--method', 'saliency', '--layers', '1', '--randomise-seed', '5', '--out', other, '--quiet')).code).toBe(0);
    const seeded = JSON.parse(readFileSync(join(other, 'star-1', 'sanity-saliency.json'), 'utf8')) as SanityJson;
    expect(seeded.seed).toBe(5);
    expect(seeded.cascade[0].spearman).not.toBe(report.cascade[0].spearman);
  });

  const usage: [string, string[], RegExp][] = [
    ['no method', [], /give --method ID/],
    ['an unknown method', ['--method', 'nope'], /--method takes a comma-separated list of .*saliency/],
    ['two methods', ['--method', 'saliency,grad-cam'], /--method takes one method here; got saliency, grad-cam/],
    ['no layer', ['--method', 'saliency', '--layers', '0'], /--layers must be a whole number from 1 to 19, got "0"/],
    ['too many layers', ['--method', 'saliency', '--layers', '20'], /--layers must be a whole number from 1 to 19, got "20"/],
    ['a bad seed', ['--method', 'saliency', '--randomise-seed', '-1'], /--randomise-seed must be a whole number from 0 to 4294967295, got "-1"/],
    ['a flag the method does not take', ['--method', 'saliency', '--n', '10'], /--n is a parameter of rise/],
    ['two classes', ['--method', 'saliency', '--class', '1,2'], /--class takes one class here; got 2/],
  ];
  for (const [what, flags, message] of usage) {
    it(`${what} is a usage error (exit 2) before any work`, async () => {
      const out = scratchDir();
      const run = await xai('sanity', star, ...flags, '--out', out, '--quiet');
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(existsSync(join(out, 'star-1'))).toBe(false);
    });
  }

  it('two images, or a missing one, are usage errors', async () => {
    expect((await xai('sanity', star, star, '--method', 'saliency')).stderr).toMatch(/one image at a time; got 2/);
    const missing = await xai('sanity', join(scratchDir(), 'none.png'), '--method', 'saliency');
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/none\.png does not exist/)]);
  });

  it('a model without gradients, or one that cannot re-initialise its weights, is refused with exit 2', async () => {
    try {
      hidden.keys = new Set(['inputGradients']);
      const noGradients = await xai('sanity', star, '--method', 'saliency', '--out', scratchDir(), '--quiet');
      expect([noGradients.code, noGradients.stderr]).toEqual([2, expect.stringMatching(/needs the gradient of a class logit with respect to the input/)]);
      hidden.keys = new Set(['randomisedCopy']);
      const fixed = await xai('sanity', star, '--method', 'saliency', '--out', scratchDir(), '--quiet');
      expect([fixed.code, fixed.stderr]).toEqual([2, expect.stringMatching(/re-initialises weights; this model \(engine tfjs:wasm\) cannot/)]);
    } finally {
      hidden.keys = new Set();
    }
  });

  it('stops when cancelled, writing nothing and leaking nothing', async () => {
    const before = tf.memory().numTensors;
    const out = scratchDir();
    const controller = new AbortController();
    const sink = (watch: boolean) =>
      new Writable({
        write(chunk, _encoding, done) {
          if (watch && String(chunk).includes('randomisation: 2/')) controller.abort();
          done();
        },
      }) as unknown as NodeJS.WriteStream;
    const code = await main(['sanity', star, '--method', 'saliency', '--out', out], { stdout: sink(false), stderr: sink(true), signal: controller.signal });
    expect(code).toBe(1);
    expect(controller.signal.aborted).toBe(true);
    expect(existsSync(join(out, 'star-1', 'sanity-saliency.json'))).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });
});
