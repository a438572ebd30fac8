import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { npyToFloat32 } from '@xai/core';
import { readNpyFile } from '@xai/core/node';
import { fixturePath, useBackend } from '@xai/testing';
import { demoModelPath } from '@xai/zoo/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatBytes, memoryBudget } from '../src/limits.js';
import { scratchDir, xai, type CliResult } from './run-cli.js';

const model = fixturePath('tiny-chelsea', 'model.onnx');
const photo = fixturePath('tiny-chelsea', 'image.png');
const tensor = fixturePath('tiny-chelsea', 'input.npy');
const onnx = ['--model', model, '--preprocessing', 'imagenet'];

/** A usage error: exit 2, the rule on stderr, nothing on stdout. */
function expectUsage(run: CliResult, message: RegExp): void {
  expect(run.stderr).toMatch(message);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
}

/** Where a command writes: --out, or predict's --save-logits. */
const outputFlag = (command: string) => (command === 'predict' ? '--save-logits' : '--out');

/** A usage error found before any work: the output folder (or file) was never made. */
async function refusedBeforeWork(argv: string[], message: RegExp): Promise<void> {
  const out = join(scratchDir(), 'out');
  const run = await xai(...argv, outputFlag(argv[0]), out);
  expectUsage(run, message);
  expect(existsSync(out), `${argv.join(' ')} wrote ${out}`).toBe(false);
}

describe('xai options: bounds, numbers, conflicts', () => {
  beforeAll(() => useBackend('wasm'));

  describe('upper bounds', () => {
    it('--n 1e12 is refused by the RISE bound (n ≤ 1,000,000) before anything is written', async () => {
      const rule = /--n \(rise\) must be a whole number from 1 to 1000000, got "1e12"/;
      await refusedBeforeWork(['explain', ...onnx, photo, '--n', '1e12'], rule);
      await refusedBeforeWork(['compare', ...onnx, photo, '--methods', 'rise', '--n', '1e12'], rule);
      await refusedBeforeWork(['masks', '--size', '64x64', '--n', '1e12'], /--n \(masks\) must be a whole number from 1 to 1000000, got "1e12"/);
      await refusedBeforeWork(['explain', ...onnx, photo, '--n', '1000001'], /--n \(rise\) must be a whole number from 1 to 1000000, got "1000001"/);
    });

    it('refuses a --batch-size whose batch would exceed the memory budget, giving its size and the largest batch that fits', async () => {
      // tiny-chelsea takes 64×64×3 inputs; RISE holds a 64×64 mask beside each.
      const budget = memoryBudget();
      const withMask = Math.floor(budget / ((64 * 64 * 3 + 64 * 64) * 4));
      const inputOnly = Math.floor(budget / (64 * 64 * 3 * 4));
      const size = formatBytes(100_000_000 * (64 * 64 * 3 + 64 * 64) * 4).replace('.', '\\.');
      await refusedBeforeWork(
        ['explain', ...onnx, photo, '--n', '8', '--batch-size', '100000000'],
        new RegExp(
          `--batch-size 100000000 would take ${size} per batch \\(100000000 × 64×64×3 float32 input \\+ 64×64 mask\\), ` +
            `over the budget of .*; the largest batch that fits is ${withMask}$`,
          'm',
        ),
      );
      await refusedBeforeWork(['explain', ...onnx, photo, '--method', 'grad-cam', '--batch-size', String(inputOnly + 1)],
        new RegExp(`\\(${inputOnly + 1} × 64×64×3 float32 input\\), .*the largest batch that fits is ${inputOnly}$`, 'm'));
      await refusedBeforeWork(['evaluate', ...onnx, photo, '--order', 'order.npy', '--batch-size', String(inputOnly + 1)],
        new RegExp(`the largest batch that fits is ${inputOnly}$`, 'm'));
      // The largest batch that fits is accepted (RISE's batches never exceed N).
      const out = scratchDir();
      const fits = await xai('explain', ...onnx, photo, '--n', '8', '--batch-size', String(withMask), '--out', out, '--format', 'json', '--quiet');
      expect(fits.stderr).toBe('');
      expect(fits.code).toBe(0);
    });

    it('masks refuses --size 0x0, a mask too big to draw and a mask file that cannot fit on the disk, before writing', async () => {
      await refusedBeforeWork(['masks', '--size', '0x0'], /--size takes H and W ≥ 1, got "0x0"/);
      // Masks are drawn a batch at a time; one mask that cannot be held is refused, not attempted.
      await refusedBeforeWork(['masks', '--size', '20000x20000'], /--size 20000x20000: one mask takes 3\.0 GiB to draw, over the memory budget of/);
      // 1,000,000 masks of 4096×4096 float32 are 61 PiB.
      await refusedBeforeWork(['masks', '--n', '1000000', '--size', '4096x4096'],
        /--n 1000000 masks of --size 4096x4096 \(float32\) would take 61\.0 TiB in .*out, but its disk has .* free/);
    });
  });

  describe('numbers', () => {
    it('accepts exponent notation of a whole number for every whole-number option, consistently', async () => {
      const out = scratchDir();
      const run = await xai('explain', ...onnx, photo, '--n', '1e2', '--s', '4e0', '--batch-size', '1.6e1', '--out', out, '--format', 'json', '--quiet');
      expect(run.code).toBe(0);
      const report = JSON.parse(readFileSync(join(out, 'image', 'explain.json'), 'utf8'));
      expect(report.methods.rise.params).toMatchObject({ n: 100, s: 4 });
      const predict = await xai('predict', ...onnx, photo, '--top', '2e0', '--json');
      expect(predict.code).toBe(0);
      expect(JSON.parse(predict.stdout)[0].top).toHaveLength(2);
      const masks = join(scratchDir(), 'm.npy');
      expect((await xai('masks', '--n', '2.5e1', '--s', '4', '--size', '8x8', '--out', masks, '--quiet')).code).toBe(0);
      expect((await readNpyFile(masks)).shape).toEqual([25, 1, 8, 8]);
    });

    it('refuses fractions and non-decimal numbers (hex, Infinity) by the option\'s rule, for parameters and CLI options alike', async () => {
      const cases: [string[], RegExp][] = [
        [['explain', ...onnx, photo, '--n', '1.5'], /--n \(rise\) must be a whole number from 1 to 1000000, got "1.5"/],
        [['explain', ...onnx, photo, '--n', '1e-1'], /--n \(rise\) must be a whole number from 1 to 1000000, got "1e-1"/],
        [['explain', ...onnx, photo, '--n', '0x10'], /--n \(rise\) must be a whole number from 1 to 1000000, got "0x10"/],
        [['explain', ...onnx, photo, '--p1', 'Infinity'], /--p1 \(rise\) must be a number in \(0, 1\], got "Infinity"/],
        [['explain', ...onnx, photo, '--batch-size', '0x10'], /--batch-size must be a whole number ≥ 1, got "0x10"/],
        [['predict', ...onnx, photo, '--top', '2.5'], /--top must be a whole number ≥ 1, got "2.5"/],
        [['evaluate', ...onnx, photo, '--order', 'o.npy', '--step', '1e400'], /--step must be a whole number ≥ 1, got "1e400"/],
        [['masks', '--n', '0b11', '--size', '8x8'], /--n \(masks\) must be a whole number from 1 to 1000000, got "0b11"/],
      ];
      for (const [argv, message] of cases) await refusedBeforeWork(argv, message);
    });

    it('a negative number given to an option reaches the option\'s rule, not the parser\'s "ambiguous"', async () => {
      const cases: [string[], RegExp][] = [
        [['explain', ...onnx, photo, '--n', '-5'], /--n \(rise\) must be a whole number from 1 to 1000000, got "-5"/],
        [['explain', ...onnx, photo, '--n=-5'], /--n \(rise\) must be a whole number from 1 to 1000000, got "-5"/],
        [['explain', ...onnx, photo, '--seed', '-3'], /--seed \(rise\) must be a whole number from 0 to 4294967295, got "-3"/],
        [['explain', ...onnx, photo, '--p1', '-0.5'], /--p1 \(rise\) must be a number in \(0, 1\], got "-0.5"/],
        [['explain', ...onnx, photo, '--class', '-1'], /Class index -1 is out of range; the model has 4 classes \(0 … 3\)/],
        [['explain', ...onnx, photo, '--class', '-1', '--method', 'grad-cam'], /Class index -1 is out of range; the model has 4 classes/],
        [['explain', ...onnx, photo, '--batch-size', '-4'], /--batch-size must be a whole number ≥ 1, got "-4"/],
        [['evaluate', ...onnx, photo, '--order', 'o.npy', '--step', '-2'], /--step must be a whole number ≥ 1, got "-2"/],
        [['evaluate', ...onnx, photo, '--order', 'o.npy', '--class', '-1'], /Class index -1 is out of range; the model has 4 classes/],
        [['predict', ...onnx, photo, '--top', '-1'], /--top must be a whole number ≥ 1, got "-1"/],
        [['masks', '--size', '8x8', '--s', '-2'], /--s \(masks\) must be a whole number from 2 to 256, got "-2"/],
      ];
      for (const [argv, message] of cases) {
        const run = await xai(...argv, outputFlag(argv[0]), join(scratchDir(), 'out'));
        expectUsage(run, message);
        expect(run.stderr).not.toMatch(/ambiguous/);
      }
      // Only a string option's value is joined: a dash word after it is still an option.
      expectUsage(await xai('explain', ...onnx, photo, '--n', '-q'), /Option '--n' argument is ambiguous/);
    });
  });

  describe('conflicting options name both', () => {
    it('an image and --tensor together are refused (explain, evaluate, predict), not one of them dropped', async () => {
      const rule = new RegExp(`give images or --tensor FILE\\.npy, not both: --tensor ${tensor.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} was given with the image .*image\\.png`);
      await refusedBeforeWork(['explain', ...onnx, photo, '--tensor', tensor, '--n', '8'], rule);
      await refusedBeforeWork(['evaluate', ...onnx, photo, '--tensor', tensor, '--order', fixturePath('tiny-chelsea', 'salient_order.npy')], rule);
      const run = await xai('predict', ...onnx, photo, photo, '--tensor', tensor, '--json');
      expectUsage(run, /give images or --tensor FILE\.npy, not both: --tensor .* was given with 2 images/);
    });

    it('evaluate: --saliency with --method, --out with --no-figures, method flags without --method, several classes', async () => {
      const order = fixturePath('tiny-chelsea', 'salient_order.npy');
      const cases: [string[], RegExp][] = [
        [['--saliency', 'map.npy', '--method', 'rise'], /--saliency and --method cannot go together: both give the map to score/],
        [['--order', order, '--no-figures'], /--out and --no-figures cannot go together/],
        [['--order', order, '--n', '16'], /--n is a parameter of rise, rise-gaussian; no method is chosen \(give --method\)/],
        [['--order', order, '--layer', 'layer4'], /--layer applies to layer methods \(.*\); no method is chosen \(give --method\)/],
        [['--order', order, '--class', 'all'], /--class takes one class here \(top, an index or a name\)/],
        [['--order', order, '--class', '1,2'], /--class takes one class here/],
      ];
      for (const [flags, message] of cases) await refusedBeforeWork(['evaluate', ...onnx, '--tensor', tensor, ...flags], message);
    });

    it('explain: --masks with --save-masks, --masks or --save-masks without exactly one RISE method', async () => {
      const masks = fixturePath('tiny-chelsea', 'masks_orig.npy');
      const cases: [string[], RegExp][] = [
        [['--masks', masks, '--save-masks', 'm.npy'], /--masks and --save-masks cannot go together: --masks reads the masks RISE uses, --save-masks writes/],
        [['--masks', masks, '--method', 'grad-cam'], /--masks goes with exactly one RISE method \(--method rise or rise-gaussian\); the chosen methods are grad-cam/],
        [['--save-masks', 'm.npy', '--method', 'rise,rise-gaussian'], /--save-masks goes with exactly one RISE method .*; the chosen methods are rise, rise-gaussian/],
        [['--masks', masks, '--s', '4'], /--masks fixes N, s, the seed and the masks' order; --s cannot change them/],
        [['--masks', masks, '--seed', '1'], /--masks fixes N, s, the seed and the masks' order; --seed cannot change them/],
        [['--masks', masks, '--n', '10', '--s', '4'], /--masks fixes N, s, the seed and the masks' order; --n, --s cannot change them/],
        [['--masks', masks, '--mask-order', 'per-mask'], /--masks fixes N, s, the seed and the masks' order; --mask-order cannot change them/],
        [['--masks', masks, '--until-stable', '0.1'], /--until-stable needs drawn masks: --masks fixes N and the normalising mean/],
        [['--masks', fixturePath('tiny-chelsea', 'masks_gauss.npy'), '--method', 'rise-gaussian', '--p1', '0.5'], /--p1 applies to binary masks only/],
        [['--masks', 'missing-masks.npy'], /--masks: \.npy file not found: missing-masks\.npy/],
        [['--masks', fixturePath('tiny-chelsea', 'logits.npy')], /--masks: .*logits\.npy/],
      ];
      for (const [flags, message] of cases) await refusedBeforeWork(['explain', ...onnx, '--tensor', tensor, ...flags], message);
    });

    it('--engine onnxruntime with a model that is not ONNX is refused, naming both', async () => {
      await refusedBeforeWork(['explain', photo, '--engine', 'onnxruntime', '--n', '8'],
        /--engine onnxruntime runs ONNX models only; without --model the demo model \(a tfjs model\) is used/);
      expectUsage(await xai('predict', photo, '--model', demoModelPath(), '--engine', 'onnxruntime'),
        /--engine onnxruntime runs ONNX models only; --model .*model\.json is not an \.onnx file/);
    });

    it('--preprocessing applies to the demo model too instead of being dropped', async () => {
      const unit = JSON.parse((await xai('predict', photo, '--json')).stdout);
      const imagenet = JSON.parse((await xai('predict', photo, '--preprocessing', 'imagenet', '--json')).stdout);
      expect(imagenet[0].top[0].probability).not.toBeCloseTo(unit[0].top[0].probability, 3);
    });
  });

  describe('RISE normalisation with --masks', () => {
    it('--help says how --masks and --p1 normalise', async () => {
      const help = (await xai('explain', '--help')).stdout;
      expect(help).toMatch(/--masks FILE\.npy .*normalised by N·p1 with --p1, else by N × their measured mean/);
      expect(help).toMatch(/--p1 P1 .*with --masks, the p1 the binary masks were drawn with: RISE then divides by N·p1/);
    });

    it('without --p1 a note gives the measured mean used; explain.json records the normalisation', async () => {
      const dir = scratchDir();
      const masks = join(dir, 'm.npy');
      expect((await xai('masks', '--n', '32', '--s', '4', '--p1', '0.3', '--size', '64x64', '--out', masks, '--quiet')).code).toBe(0);
      const values = npyToFloat32(await readNpyFile(masks));
      const mean = values.reduce((a, b) => a + b, 0) / values.length;

      const measured = await xai('explain', ...onnx, photo, '--masks', masks, '--out', join(dir, 'a'), '--format', 'json', '--quiet');
      expect(measured.code).toBe(0);
      expect(measured.stderr).toBe(
        `xai: note: normalising by the masks' measured mean ${Number(mean.toPrecision(3))}; give --p1 to use N·p1 as the RISE paper\n`,
      );
      const a = JSON.parse(readFileSync(join(dir, 'a', 'image', 'explain.json'), 'utf8')).methods.rise.params;
      expect(a.normalisation).toBe('N·measured mean of the masks');
      expect(a.normalizingMean).toBeCloseTo(mean, 5);

      const byP1 = await xai('explain', ...onnx, photo, '--masks', masks, '--p1', '0.3', '--out', join(dir, 'b'), '--format', 'json', '--quiet');
      expect(byP1.stderr).toBe('');
      const b = JSON.parse(readFileSync(join(dir, 'b', 'image', 'explain.json'), 'utf8')).methods.rise.params;
      expect(b).toMatchObject({ normalisation: 'N·p1', normalizingMean: 0.3, p1: 0.3 });

      const drawn = await xai('explain', ...onnx, photo, '--n', '16', '--out', join(dir, 'c'), '--format', 'json', '--quiet');
      expect(drawn.stderr).toBe('');
      const c = JSON.parse(readFileSync(join(dir, 'c', 'image', 'explain.json'), 'utf8')).methods.rise.params;
      expect(c).toMatchObject({ normalisation: 'N·p1', normalizingMean: 0.5, p1: 0.5 });

      const gaussian = await xai('explain', ...onnx, photo, '--method', 'rise-gaussian', '--masks', fixturePath('tiny-chelsea', 'masks_gauss.npy'),
        '--out', join(dir, 'd'), '--format', 'json', '--quiet');
      expect(gaussian.stderr).toBe('');
      const d = JSON.parse(readFileSync(join(dir, 'd', 'image', 'explain.json'), 'utf8')).methods['rise-gaussian'].params;
      expect(d.normalisation).toBe('N·measured mean of the masks');
    });
  });
});
