// The model contract checked at load (issue 13, item 5), through the CLI: a model exported with a
// fixed batch of 1 runs every method, and a model whose output is not a classifier's is refused
// when it is loaded, before any map is written.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixturePath, useBackend } from '@xai/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratchDir, xai } from './run-cli.js';

const contract = (name: string) => fileURLToPath(new URL(`../../../packages/onnx/fixtures/contract/${name}.onnx`, import.meta.url));
const photo = fixturePath('tiny-chelsea', 'image.png');
const FIXED = contract('fixed-batch-1');
const ACCEPTED = "a classifier's output must be [batch, classes], or [batch, classes, 1, 1] (axes of size 1 after the batch are dropped)";

/** Every explain.json under `dir`. */
function reports(dir: string): { model: { engine: string; numClasses: number } }[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name === 'explain.json') found.push(join(d, e.name));
    }
  };
  walk(dir);
  return found.map((f) => JSON.parse(readFileSync(f, 'utf8')));
}

describe('xai and the model contract', () => {
  beforeAll(() => useBackend('wasm'));

  it.each([
    ['rise', ['--n', '64']],
    ['abs-cam-final', []],
  ])('explain --model fixed-batch-1.onnx --method %s runs in batches of 1 and says so', async (method, extra) => {
    const out = scratchDir('xai-fixed-');
    const run = await xai('explain', photo, '--model', FIXED, '--method', method, ...extra, '--out', out);
    expect(run.stderr).not.toMatch(/Expected: 1|failed/);
    expect(run.code).toBe(0);
    const [report] = reports(out);
    expect(report.model.engine).toBe('onnxruntime-node (fixed batch 1)');
    expect(report.model.numClasses).toBe(5);
  });

  it('explain runs on the tfjs engine too (its graph has a Reshape to [1, -1])', async () => {
    const out = scratchDir('xai-fixed-');
    const run = await xai('explain', photo, '--model', FIXED, '--engine', 'tfjs', '--method', 'rise', '--n', '64', '--out', out);
    expect(run.stderr).not.toMatch(/inner sizes differ|failed/);
    expect(run.code).toBe(0);
    expect(reports(out)[0].model.engine).toBe('tfjs:wasm (fixed batch 1)');
  });

  it('evaluate --model fixed-batch-1.onnx --method grad-cam scores the map in batches of 1', async () => {
    const run = await xai('evaluate', photo, '--model', FIXED, '--method', 'grad-cam', '--json', '--no-figures');
    expect(run.stderr).not.toMatch(/Expected: 1|failed/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/insertion/);
    expect(run.stdout).toMatch(/deletion/);
  });

  it.each([
    ['segmentation-like', 'masks', '[batch, 4, 32, 32]', "This looks like a per-pixel or per-box output (segmentation, detection), not an image classifier's"],
    ['vector-output', 'score', '[batch]', 'This is one value per image, not one logit per class'],
  ])('explain --model %s.onnx exits 1 at load, naming the output, its shape and what is accepted', async (name, output, shape, why) => {
    const out = scratchDir('xai-refused-');
    const path = contract(name);
    const run = await xai('explain', photo, '--model', path, '--out', out);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`"${path}": the output "${output}" has shape ${shape}; ${ACCEPTED}. ${why}`);
    // Refused before any input was explained: nothing written.
    expect(existsSync(out) ? reports(out) : []).toEqual([]);
    expect(run.stdout).not.toMatch(/class \d+ p=/);
  });
});
