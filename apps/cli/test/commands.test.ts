import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { npyToFloat32 } from '@xai/core';
import { readNpyFile } from '@xai/core/node';
import { fixturePath, useBackend } from '@xai/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratchDir, xai } from './run-cli.js';

const model = fixturePath('tiny-chelsea', 'model.onnx');
const photo = fixturePath('tiny-chelsea', 'image.png');
const onnx = ['--model', model, '--preprocessing', 'imagenet'];

/** A folder of small variants of the golden photo, plus one file that is not an image. */
async function imageFolder(): Promise<string> {
  const dir = scratchDir('xai-images-');
  const base = sharp(photo);
  await base.clone().resize(96, 64).png().toFile(join(dir, 'a.png'));
  await base.clone().flop().resize(80, 80).jpeg().toFile(join(dir, 'b.jpg'));
  await base.clone().extract({ left: 100, top: 50, width: 200, height: 200 }).webp().toFile(join(dir, 'c.webp'));
  await base.clone().greyscale().resize(64, 64).png().toFile(join(dir, 'd.png'));
  writeFileSync(join(dir, 'e.png'), 'not an image at all');
  return dir;
}

describe('xai commands', () => {
  let images: string;
  beforeAll(async () => {
    await useBackend('wasm');
    images = await imageFolder();
  });

  it('prints help for every command and exits 0', async () => {
    for (const command of ['explain', 'evaluate', 'compare', 'merge', 'predict', 'masks', 'layers']) {
      const run = await xai(command, '--help');
      expect(run.code, command).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`Usage: xai ${command}`));
      expect(run.stdout).toMatch(/--quiet/);
    }
    const overview = await xai('--help');
    expect(overview.code).toBe(0);
    expect(overview.stdout).toMatch(/explain .*\n.*evaluate/s);
  });

  it('exits 2 with the reason on stderr for bad usage', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"; commands: explain, evaluate/],
      [['explain', 'x.png', '--bogus'], /Unknown option '--bogus'/],
      [['explain', 'x.png', '--method', 'gradcam'], /--method takes a comma-separated list of rise, rise-gaussian, abs-cam-init, abs-cam-final, grad-cam, /],
      [['explain', 'x.png', '--n', '0'], /--n \(rise\) must be a whole number from 1 to 1000000, got "0"/],
      [['explain', 'x.png', '--p1', '1.5'], /--p1 \(rise\) must be a number in \(0, 1\], got "1.5"/],
      [['explain', 'x.png', '--class', 'cat'], /Unknown class name "cat"/],
      [['explain', 'x.png', '--masks', 'm.npy', '--n', '10'], /--masks fixes N, s, the seed and the masks' order; --n cannot change them/],
      [['explain'], /give at least one image, or --tensor FILE.npy/],
      [['evaluate', 'x.png'], /give one of --saliency FILE.npy or --method ID \(with --order FILE.npy to break ties\), or --order FILE.npy alone/],
      [['evaluate', 'x.png', '--method', 'rise,grad-cam'], /--method takes one method here/],
      [['masks', '--out', 'm.npy'], /--size HxW is required/],
      [['compare', 'dir', '--shard', '3/2'], /--shard takes I\/N with 1 ≤ I ≤ N/],
    ];
    for (const [argv, message] of cases) {
      const run = await xai(...argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
    }
  });

  it('exits 1 when an input fails, naming it, and still does the others', async () => {
    const out = scratchDir();
    const run = await xai('predict', ...onnx, join(images, 'a.png'), join(images, 'e.png'), join(images, 'missing.png'), '--json');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/e\.png: Cannot decode .*e\.png: it is not a readable image/);
    expect(run.stderr).toMatch(/missing\.png: Image not found/);
    expect(JSON.parse(run.stdout)).toHaveLength(1);
    const badModel = await xai('layers', '--model', join(out, 'nothing.onnx'));
    expect(badModel.code).toBe(1);
    const wrongKind = await xai('layers', '--model', photo);
    expect(wrongKind.stderr).toMatch(/accepted models are .onnx files and tfjs model.json files/);
  });

  it('explain writes the figure, the .npy and explain.json for each image', async () => {
    const out = scratchDir();
    const before = tf.memory().numTensors;
    const run = await xai('explain', ...onnx, join(images, 'a.png'), join(images, 'b.jpg'), '--method', 'rise,abs-cam-init', '--n', '64',
      '--out', out, '--class', '2', '--quiet');
    expect(run.code).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    for (const stem of ['a', 'b']) {
      const report = JSON.parse(readFileSync(join(out, stem, 'explain.json'), 'utf8'));
      expect(report.methods.rise).toMatchObject({ label: 'RISE', classIndex: 2, classes: [2] });
      expect(report.methods['abs-cam-init']).toMatchObject({ classIndex: 2, params: { layer: 'layer4', layerChosenBy: 'default' } });
      expect(report.prediction).toHaveLength(4);
      expect(report.methods.rise.params.n).toBe(64);
      // --class 2 asks for one class; without it RISE writes every class's map (same cost).
      expect((await readNpyFile(join(out, stem, 'rise.npy'))).shape).toEqual([64, 64]);
      expect((await readNpyFile(join(out, stem, 'abs-cam-init.npy'))).shape).toEqual([64, 64]);
      const figure = await sharp(join(out, stem, 'rise.png')).metadata();
      expect(figure.format).toBe('png');
      expect(figure.width).toBeGreaterThan(figure.height!);
    }
  });

  it('masks writes N×1×H×W masks that explain --masks reproduces with --save-masks', async () => {
    const out = scratchDir();
    const made = await xai('masks', '--kind', 'binary', '--n', '40', '--s', '4', '--p1', '0.3', '--seed', '7', '--size', '64x64',
      '--out', join(out, 'm.npy'), '--preview', join(out, 'm.png'), '--quiet');
    expect(made.code).toBe(0);
    const masks = await readNpyFile(join(out, 'm.npy'));
    expect(masks.shape).toEqual([40, 1, 64, 64]);
    expect(existsSync(join(out, 'm.png'))).toBe(true);
    const saved = await xai('explain', ...onnx, join(images, 'a.png'), '--n', '40', '--s', '4', '--p1', '0.3', '--seed', '7',
      '--save-masks', join(out, 'saved.npy'), '--out', join(out, 'x'), '--format', 'npy', '--quiet');
    expect(saved.code).toBe(0);
    expect(npyToFloat32(await readNpyFile(join(out, 'saved.npy')))).toEqual(npyToFloat32(masks));
    const given = await xai('explain', ...onnx, join(images, 'a.png'), '--masks', join(out, 'm.npy'), '--p1', '0.3',
      '--out', join(out, 'y'), '--format', 'npy', '--quiet');
    expect(given.code).toBe(0);
    expect(npyToFloat32(await readNpyFile(join(out, 'y', 'a', 'rise.npy')))).toEqual(npyToFloat32(await readNpyFile(join(out, 'x', 'a', 'rise.npy'))));
  });

  it('evaluate --saliency takes a K×H×W map with --class and writes the curve figure', async () => {
    const out = scratchDir();
    await xai('explain', ...onnx, join(images, 'a.png'), '--n', '64', '--out', out, '--format', 'npy', '--quiet');
    const withoutClass = await xai('evaluate', ...onnx, join(images, 'a.png'), '--saliency', join(out, 'a', 'rise.npy'));
    expect(withoutClass.code).toBe(2);
    expect(withoutClass.stderr).toMatch(/holds 4 maps \(K×H×W\); choose one with --class/);
    const run = await xai('evaluate', ...onnx, join(images, 'a.png'), '--saliency', join(out, 'a', 'rise.npy'), '--class', '1',
      '--step', '256', '--json', '--out', out);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.class).toBe(1);
    expect(result.insertion.scores).toHaveLength(17);
    expect(result.deletion.protocol.substrate).toBe('zeros');
    expect(existsSync(join(out, 'a', 'curves.png'))).toBe(true);
  });

  it('compare resumes, skips unreadable images, and shards merge to the single run', async () => {
    const whole = scratchDir();
    const args = [...onnx, '--methods', 'rise,abs-cam-init', '--n', '32', '--step', '512', '--quiet'];
    const run = await xai('compare', images, ...args, '--out', whole);
    expect(run.code).toBe(1); // e.png is not an image: a failed input, the others' results still written
    expect(run.stdout).toMatch(/rise\s+4\s+\d\.\d{4}\s+\d\.\d{4}/);
    expect(run.stderr).toMatch(/e\.png/);
    const results = JSON.parse(readFileSync(join(whole, 'results.json'), 'utf8'));
    expect(results.images).toHaveLength(4);
    expect(results.failed).toHaveLength(1);
    const html = readFileSync(join(whole, 'report.html'), 'utf8');
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect((html.match(/data:image\/png;base64/g) ?? []).length).toBeGreaterThanOrEqual(8);

    // A rerun finds everything done and rewrites identical numbers.
    const again = await xai('compare', images, ...args, '--out', whole);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/reusing 8 of 10 results .*computing 2 not done yet/);
    expect(JSON.parse(readFileSync(join(whole, 'results.json'), 'utf8')).summary).toEqual(results.summary);

    const shards = [scratchDir(), scratchDir()];
    for (const [i, dir] of shards.entries()) {
      const code = (await xai('compare', images, ...args, '--shard', `${i + 1}/2`, '--out', dir)).code;
      expect(code).toBe(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).failed.length ? 1 : 0);
    }
    const counts = shards.map((d) => JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')).images.length);
    expect(counts[0] + counts[1]).toBe(4);
    const merged = scratchDir();
    expect((await xai('merge', ...shards, '--out', merged)).code).toBe(0);
    const combined = JSON.parse(readFileSync(join(merged, 'results.json'), 'utf8'));
    expect(combined.images.map((i: { path: string }) => i.path)).toEqual(results.images.map((i: { path: string }) => i.path));
    expect(combined.summary).toEqual(results.summary);
  });
});
