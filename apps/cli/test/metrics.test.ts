import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { kendallTau } from '@xai/metrics';
import { fixturePath, maxAbsDiff, readFixtureFloat32, useBackend } from '@xai/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricOptions } from '../src/metric-options.js';
import { methodOptions } from '../src/methods.js';
import { scratchDir, xai, type CliResult } from './run-cli.js';

const model = fixturePath('tiny-chelsea', 'model.onnx');
const tensor = fixturePath('tiny-chelsea', 'input.npy');
const photo = fixturePath('tiny-chelsea', 'image.png');
const gradcam = fixturePath('tiny-chelsea', 'baselines', 'gradcam_layer4.npy');
const samples = resolve(dirname(fileURLToPath(import.meta.url)), '../../../packages/zoo/samples');
const onnx = ['--model', model, '--preprocessing', 'imagenet'];

function expectUsage(run: CliResult, message: RegExp): void {
  expect(run.stderr).toMatch(message);
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
}

describe('xai evaluate --metric: the new metrics', () => {
  beforeAll(() => useBackend('wasm'));

  it('reproduces pytorch-grad-cam ROAD on tiny-chelsea with --road-noise 0, and prints every metric beside insertion/deletion', async () => {
    const before = tf.memory().numTensors;
    const run = await xai('evaluate', '--model', model, '--tensor', tensor, '--saliency', gradcam, '--metric',
      'insertion,deletion,road,sparseness,complexity,mu-fidelity', '--road-noise', '0', '--mu-samples', '20', '--step', '256', '--json', '--no-figures');
    expect(run.code, run.stderr).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const result = JSON.parse(run.stdout);
    expect(result.class).toBe(1);
    expect(Object.keys(result)).toEqual(['input', 'class', 'insertion', 'deletion', 'road', 'sparseness', 'complexity', 'muFidelity']);
    expect(result.road.percentiles).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const morf = readFixtureFloat32('tiny-chelsea', 'baselines', 'road_morf.npy').data;
    const lerf = readFixtureFloat32('tiny-chelsea', 'baselines', 'road_lerf.npy').data;
    expect(maxAbsDiff(result.road.morf, morf)).toBeLessThan(1e-4);
    expect(maxAbsDiff(result.road.lerf, lerf)).toBeLessThan(1e-4);
    const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
    expect(result.road.combined).toBeCloseTo((mean(lerf) - mean(morf)) / 2, 4);
    expect(result.road.protocol).toMatchObject({ noise: 0, seed: 0 });
    expect(result.sparseness).toBeGreaterThan(0);
    expect(result.sparseness).toBeLessThan(1);
    expect(result.complexity).toBeGreaterThan(0);
    expect(result.complexity).toBeLessThan(Math.log(64 * 64));
    expect(result.muFidelity).toBeGreaterThanOrEqual(-1);
    expect(result.muFidelity).toBeLessThanOrEqual(1);
    expect(result.insertion.scores).toHaveLength(17);

    // The same seed gives the same numbers; --metric-seed changes the noise.
    const seeded = async (seed: string) =>
      JSON.parse((await xai('evaluate', '--model', model, '--tensor', tensor, '--saliency', gradcam, '--metric', 'road', '--road-percentiles', '50',
        '--metric-seed', seed, '--json', '--no-figures')).stdout).road.morf[0];
    const tensors = tf.memory().numTensors;
    expect(await seeded('3')).toBe(await seeded('3'));
    expect(await seeded('3')).not.toBe(await seeded('4'));
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('scores the pointing game against the ground truth beside the image', async () => {
    const before = tf.memory().numTensors;
    const run = await xai('evaluate', join(samples, 'circle-1.png'), '--method', 'grad-cam', '--metric', 'pointing-game,average-drop,increase-in-confidence', '--json', '--no-figures');
    expect(run.code, run.stderr).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    const result = JSON.parse(run.stdout);
    expect(typeof result.pointingGame.hit).toBe('boolean');
    expect(result.pointingGame.energy).toBeGreaterThanOrEqual(0);
    expect(result.averageDrop).toBeGreaterThanOrEqual(0);
    expect([0, 100]).toContain(result.increaseInConfidence);
  });

  it('refuses bad metric options with exit 2 before any work', async () => {
    const base = ['evaluate', ...onnx, '--tensor', tensor, '--saliency', gradcam, '--no-figures'];
    const cases: [string[], RegExp][] = [
      [['--metric', 'road,roc'], /--metric: unknown metric "roc"; accepted: insertion, deletion, road, sparseness, complexity, mu-fidelity, average-drop, increase-in-confidence, pointing-game/],
      [['--metric', 'road', '--road-percentiles', '0,50'], /--road-percentiles takes comma-separated numbers from 1 to 99 \(e\.g\. 10,20,30\), got "0,50"/],
      [['--metric', 'road', '--road-percentiles', '50,100'], /from 1 to 99.*got "50,100"/],
      [['--metric', 'road', '--road-percentiles', '20,20'], /--road-percentiles lists 20 twice/],
      [['--metric', 'road', '--road-noise', '-1'], /--road-noise must be a finite number ≥ 0, got -1/],
      [['--metric', 'insertion', '--road-noise', '0'], /--road-noise applies to road, which --metric does not list \(it lists insertion\)/],
      [['--metric', 'mu-fidelity', '--mu-samples', '1'], /--mu-samples must be a whole number ≥ 2, got "1"/],
      [['--metric', 'mu-fidelity', '--mu-subset', '1.5'], /--mu-subset must be a number in \(0, 1\), got 1.5/],
      [['--metric', 'road', '--metric-seed', '-1'], /--metric-seed must be a whole number from 0 to 4294967295, got "-1"/],
      [['--metric', 'sparseness', '--metric-seed', '1'], /--metric-seed applies to road, mu-fidelity, which --metric does not list/],
      [['--metric', 'sparseness', '--step', '8'], /--step applies to insertion and deletion, which --metric does not list/],
      [['--metric', 'pointing-game'], /pointing-game needs ground truth beside image files .*--tensor has none/],
    ];
    for (const [flags, message] of cases) expectUsage(await xai(...base, ...flags), message);
    expectUsage(await xai('evaluate', ...onnx, photo, '--order', fixturePath('tiny-chelsea', 'salient_order.npy'), '--metric', 'deletion,road', '--no-figures'),
      /road scores a map; --order alone gives only a pixel order \(insertion, deletion\): give --saliency or --method too/);
    expectUsage(await xai('evaluate', ...onnx, photo, '--saliency', gradcam, '--metric', 'pointing-game', '--no-figures'),
      /pointing-game needs ground truth beside .*image\.png: image\.mask\.png or image\.json with a bbox/);
  });

  it("keeps the metrics' flags apart from the methods' (--seed and --samples are SmoothGrad's and RISE's)", () => {
    const metric = Object.keys(metricOptions());
    expect(metric).toEqual(['road-percentiles', 'road-noise', 'mu-grid', 'mu-subset', 'mu-samples', 'metric-seed']);
    const method = Object.keys(methodOptions());
    expect(method).toContain('seed');
    expect(method).toContain('samples');
    expect(metric.filter((m) => method.includes(m))).toEqual([]);
  });
});

describe('xai compare --metrics: the table, rankings and agreement', () => {
  const methods = ['grad-cam', 'saliency', 'rise'];
  const args = [samples, '--methods', methods.join(','), '--n', '16', '--metrics', 'deletion,road,complexity,mu-fidelity',
    '--road-percentiles', '30,70', '--mu-samples', '12', '--mu-grid', '4', '--step', '512', '--quiet'];
  /** One run shared by the tests below (it is the slow part). */
  const out = scratchDir();
  let run: CliResult;
  let tensorsBefore = 0;
  let tensorsAfter = 0;
  beforeAll(async () => {
    await useBackend('wasm');
    tensorsBefore = tf.memory().numTensors;
    run = await xai('compare', ...args, '--out', out);
    tensorsAfter = tf.memory().numTensors;
  });

  it('on the demo model\'s samples, three methods and four metrics: results.json holds the table, rankings and agreement', async () => {
    expect(run.code, run.stderr).toBe(0);
    expect(tensorsAfter).toBe(tensorsBefore);
    expect(run.stdout).toMatch(/^method\s+images\s+deletion ↓\s+road ↑\s+complexity ↓\s+mu-fidelity ↑$/m);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const { summary } = results;
    expect(results.key.protocol.metrics).toEqual({
      deletion: { step: 512, substrate: 'zeros' },
      road: { percentiles: [30, 70], noise: 0.01, seed: 0, tolerance: 1e-6 },
      complexity: {},
      'mu-fidelity': { grid: 4, subset: 0.2, samples: 12, seed: 0, baseline: 0, score: 'logit' },
    });
    expect(summary.metrics).toEqual(['deletion', 'road', 'complexity', 'mu-fidelity']);
    expect(summary.better).toEqual({ deletion: 'lower', road: 'higher', complexity: 'lower', 'mu-fidelity': 'higher' });
    expect(summary.interval).toEqual({ method: 'percentile bootstrap over images', level: 0.95, resamples: 1000, seed: 0 });
    const oriented: Record<string, number[]> = {};
    for (const metric of summary.metrics) {
      const means: number[] = [];
      for (const method of methods) {
        const cell = summary.table[method][metric];
        const values = results.images.map((i: { methods: Record<string, { metrics: Record<string, { value: number }> }> }) => i.methods[method].metrics[metric].value);
        expect(cell.images).toBe(8);
        expect(cell.mean).toBeCloseTo(values.reduce((a: number, b: number) => a + b, 0) / values.length, 12);
        expect(cell.interval[0]).toBeLessThanOrEqual(cell.mean);
        expect(cell.interval[1]).toBeGreaterThanOrEqual(cell.mean);
        means.push(cell.mean);
      }
      const sign = summary.better[metric] === 'higher' ? 1 : -1;
      oriented[metric] = means.map((m) => sign * m);
      const expected = [...methods].sort((a, b) => oriented[metric][methods.indexOf(b)] - oriented[metric][methods.indexOf(a)]);
      expect(summary.rankings[metric]).toEqual(expected);
    }
    expect(summary.table.rise.road.meanCurves.morf).toHaveLength(2);
    expect(summary.table.rise.deletion.meanCurves.deletion).toHaveLength(results.images[0].methods.rise.metrics.deletion.curves.deletion.length);
    expect(summary.table.rise.deletion.aucOfMeanCurve).toBeCloseTo(summary.table.rise.deletion.mean, 10);
    expect(summary.agreement.metrics).toEqual(summary.metrics);
    expect(summary.agreement.pairs).toHaveLength(6);
    for (const pair of summary.agreement.pairs) {
      const i = summary.metrics.indexOf(pair.a);
      const j = summary.metrics.indexOf(pair.b);
      expect(pair.tau).toBeCloseTo(kendallTau(oriented[pair.a], oriented[pair.b]), 12);
      expect(summary.agreement.tau[i][j]).toBe(pair.tau);
      expect(summary.agreement.tau[j][i]).toBe(pair.tau);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<th>deletion ↓</th><th>road ↑</th><th>complexity ↓</th><th>mu-fidelity ↑</th>');
    expect(html).toContain('Mean ROAD curves');
    expect(html).toContain("Kendall's τ");
    expect(html).toContain('data-series="ROAD MoRF"');
  });

  it('resumes with every result reused, recomputes when a metric setting changes, and shards merge to the single run', async () => {
    const whole = out;
    const before = tf.memory().numTensors;
    const single = JSON.parse(readFileSync(join(whole, 'results.json'), 'utf8'));
    const again = await xai('compare', ...args, '--out', whole, '--no-recompute');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/reusing 24 of 24 results/);
    const refused = await xai('compare', ...args, '--road-noise', '0', '--out', whole, '--no-recompute');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/protocol\.metrics\.road\.noise: 0\.01 → 0 \(24 results\)/);

    const shards = [scratchDir(), scratchDir()];
    for (const [i, dir] of shards.entries()) expect((await xai('compare', ...args, '--shard', `${i + 1}/2`, '--out', dir)).code).toBe(0);
    const merged = scratchDir();
    expect((await xai('merge', ...shards, '--out', merged)).code).toBe(0);
    const combined = JSON.parse(readFileSync(join(merged, 'results.json'), 'utf8'));
    expect(combined.summary).toEqual(single.summary);
    expect(existsSync(join(merged, 'report.html'))).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an unknown metric and --step without insertion or deletion, before writing', async () => {
    const out = join(scratchDir(), 'out');
    expectUsage(await xai('compare', samples, '--methods', 'grad-cam', '--metrics', 'deletion,gini', '--out', out), /--metrics: unknown metric "gini"; accepted: insertion, deletion, road/);
    expectUsage(await xai('compare', samples, '--methods', 'grad-cam', '--metrics', 'road', '--step', '8', '--out', out), /--step applies to insertion and deletion, which --metrics does not list/);
    expectUsage(await xai('compare', samples, '--methods', 'grad-cam', '--metrics', 'road', '--mu-grid', '3', '--out', out), /--mu-grid applies to mu-fidelity, which --metrics does not list/);
    expect(existsSync(out)).toBe(false);
  });
});
