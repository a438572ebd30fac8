import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@xai/testing';
import { demoSampleFiles } from '@xai/zoo/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratchDir, xai } from './run-cli.js';

const star = demoSampleFiles('star-1').image;

describe('xai explain --until-stable', () => {
  beforeAll(() => useBackend('wasm'));

  it('stops early, records masksUsed, and equals --n masksUsed --mask-order per-mask byte for byte', async () => {
    const before = tf.memory().numTensors;
    const out = scratchDir();
    const stable = await xai('explain', star, '--method', 'rise', '--n', '3200', '--until-stable', '0.3', '--class', 'top', '--out', join(out, 'a'), '--quiet');
    expect(stable.code, stable.stderr).toBe(0);
    const record = JSON.parse(readFileSync(join(out, 'a', 'star-1', 'explain.json'), 'utf8')).methods.rise.params;
    expect(record).toMatchObject({ n: 3200, untilStable: 0.3, maskOrder: 'per-mask' });
    expect(record.masksUsed).toBeLessThan(3200);
    expect(record.masksUsed % 32).toBe(0);
    expect(record.relativeError).toBeLessThan(0.3);

    const plain = await xai('explain', star, '--method', 'rise', '--n', String(record.masksUsed), '--mask-order', 'per-mask', '--class', 'top', '--out', join(out, 'b'), '--quiet');
    expect(plain.code, plain.stderr).toBe(0);
    const bytes = (dir: string) => readFileSync(join(out, dir, 'star-1', 'rise.npy'));
    expect(bytes('b').equals(bytes('a'))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('xai masks --mask-order per-mask writes masks whose first ones are a smaller set\'s; the default is the reference order', async () => {
    const out = scratchDir();
    const write = async (name: string, n: number, ...order: string[]) => {
      const run = await xai('masks', '--n', String(n), '--s', '4', '--seed', '3', '--size', '16x16', '--out', join(out, name), '--quiet', ...order);
      expect(run.code, run.stderr).toBe(0);
      return readFileSync(join(out, name)).subarray(128);
    };
    const small = await write('small.npy', 10, '--mask-order', 'per-mask');
    const large = await write('large.npy', 20, '--mask-order', 'per-mask');
    expect(large.subarray(0, small.length).equals(small)).toBe(true);
    const reference = await write('reference.npy', 20);
    expect(reference.equals(large)).toBe(false);
    expect((await xai('masks', '--until-stable', '0.1', '--size', '8x8', '--out', join(out, 'x.npy'))).code).toBe(2);
  });

  it('is a usage error with the reference mask order, before any image is read', async () => {
    const run = await xai('explain', 'no-such-image.png', '--method', 'rise', '--until-stable', '0.1', '--mask-order', 'reference');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/until-stable needs mask order per-mask/);
    const range = await xai('explain', 'no-such-image.png', '--method', 'rise', '--until-stable', '2');
    expect(range.code).toBe(2);
    expect(range.stderr).toMatch(/--until-stable \(rise\) must be a number from 0 to 1, got "2"/);
  });
});
