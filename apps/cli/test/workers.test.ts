import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { XaiError, explainWith, type Classifier, type SaliencyMap } from '@xai/core';
import { nodeWorkers, pooled, type PooledOptions } from '@xai/core/node';
import { occlusion } from '@xai/attributions';
import { scoreCam } from '@xai/cam';
import { deletion, insertion } from '@xai/metrics';
import { loadOnnxModel } from '@xai/onnx/node';
import { rise } from '@xai/rise';
import { expectNoLeak, expectRejectsWithoutLeak, fixturePath, TEST_BACKENDS, useBackend } from '@xai/testing';
import { demoSample, imagesToBatch } from '@xai/zoo';
import { demoModelPath, demoSampleFiles, loadDemoModel } from '@xai/zoo/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../src/registry.js';
import { scratchDir, xai } from './run-cli.js';

const riseMethod = registry.get('rise')!;

/** Workers whose exits are recorded, to see that none is left. */
function recordedWorkers() {
  const spawn = nodeWorkers();
  const record = { started: 0, exits: [] as string[] };
  const recording: PooledOptions['spawn'] = () => {
    record.started++;
    const port = spawn();
    return {
      ...port,
      onExit: (handler) => port.onExit((reason) => {
        record.exits.push(reason);
        handler(reason);
      }),
    };
  };
  return { record, spawn: recording };
}

/** Every map's bytes, and the curves' scores, of the black-box work the pool speeds up. */
async function blackBoxResults(model: Classifier, image: tf.Tensor4D, light: boolean): Promise<Record<string, number[]>> {
  const bytes = (maps: SaliencyMap[]) => maps.flatMap((m) => Array.from(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength)));
  const targets = [3, 0];
  const rised = await explainWith(riseMethod, model, image, { params: { n: light ? 32 : 160, s: 6 }, targets });
  const occluded = await explainWith(occlusion, model, image, { params: light ? { window: 32, stride: 32 } : { window: 16, stride: 16 }, targets });
  // On cpu at stage1 (24 channels, 24 passes) rather than the default stage3 (64).
  const scored = await explainWith(scoreCam, model, image, { targets: [3], ...(light ? { layer: 'stage1' } : {}) });
  const step = light ? 96 * 16 : 96 * 4;
  const curves = [await insertion(model, image, rised[0], { step }), await deletion(model, image, rised[0], { step })];
  const floats = (values: number[]) => Array.from(new Uint8Array(Float64Array.from(values).buffer));
  return {
    rise: bytes(rised), occlusion: bytes(occluded), 'score-cam': bytes(scored),
    insertion: floats(curves[0].scores), deletion: floats(curves[1].scores),
  };
}

describe('a pooled demo model (worker threads)', () => {
  let image: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend('wasm');
    image = imagesToBatch([demoSample('star-1').image]);
  });
  afterAll(() => image.dispose());

  for (const backend of TEST_BACKENDS) {
    it(`gives the same bytes with 1, 2 and 3 workers on ${backend}: RISE, Occlusion, Score-CAM, insertion, deletion`, async () => {
      await useBackend(backend);
      const results: Record<string, number[]>[] = [];
      for (const workers of [1, 2, 3]) {
        const model = await loadDemoModel({ workers });
        // Warm: the workers load (their tensors live on their own threads), then nothing leaks.
        results.push(await expectNoLeak(() => blackBoxResults(model, image, backend === 'cpu')));
        expect(model.workerPool).toMatchObject({ size: workers, running: workers === 1 ? 0 : workers, busy: 0, queued: 0 });
        model.dispose();
      }
      for (const method of Object.keys(results[0])) {
        expect(results[0][method].length, method).toBeGreaterThan(0);
        expect(results[1][method], `${method}: 2 workers`).toEqual(results[0][method]);
        expect(results[2][method], `${method}: 3 workers`).toEqual(results[0][method]);
      }
    });
  }

  it('pools an ONNX model on the tfjs engine: workers load it from the file, same bytes', async () => {
    await useBackend('wasm');
    const path = fixturePath('tiny-chelsea', 'model.onnx');
    const batch = tf.randomUniform([20, 64, 64, 3], -2, 2, 'float32', 4) as tf.Tensor4D;
    const logits = [];
    for (const workers of [1, 2]) {
      const model = await loadOnnxModel(path, { engine: 'tfjs', workers });
      const out = await model.predict(batch);
      logits.push(Array.from(await out.data()));
      out.dispose();
      expect(model.workerPool.running).toBe(workers === 1 ? 0 : 2);
      model.dispose();
    }
    expect(logits[1]).toEqual(logits[0]);
    batch.dispose();
  });

  it('leaves no thread behind after dispose', async () => {
    await useBackend('wasm');
    const { record, spawn } = recordedWorkers();
    const model = pooled(await loadDemoModel({ workers: 1 }), { workers: 2, spawn });
    const batch = tf.tile(image, [32, 1, 1, 1]) as tf.Tensor4D;
    (await model.predict(batch)).dispose();
    expect(record.started).toBe(2);
    expect(record.exits).toEqual([]);
    model.dispose();
    await expect.poll(() => record.exits.length).toBe(2);
    batch.dispose();
  });

  it('a forgotten pool does not keep the process alive', () => {
    const script = [
      "import * as tf from '@tensorflow/tfjs-core';",
      "import { selectBackend } from '@xai/core';",
      "import { loadDemoModel } from '@xai/zoo/node';",
      "await selectBackend({ prefer: 'wasm' });",
      'const model = await loadDemoModel({ workers: 2 });',
      'await (await model.predict(tf.zeros([32, 96, 96, 3]))).data();',
      'console.log(model.workerPool.running);',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8', timeout: 120_000 });
    expect(run.error).toBeUndefined();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('2');
  });

  it('cancelling RISE mid-run rejects with an AbortError and leaves no worker busy', async () => {
    await useBackend('wasm');
    const model = await loadDemoModel({ workers: 2 });
    const warm = tf.tile(image, [16, 1, 1, 1]) as tf.Tensor4D;
    (await model.predict(warm)).dispose();
    warm.dispose();
    const controller = new AbortController();
    let events = 0;
    const error = await expectRejectsWithoutLeak(() =>
      rise(model, image, {
        n: 4000, batchSize: 32, signal: controller.signal,
        onProgress: () => {
          if (++events === 2) controller.abort();
        },
      }),
    );
    expect(error.name).toBe('AbortError');
    expect(events).toBe(2);
    expect(model.workerPool).toMatchObject({ running: 2, busy: 0, queued: 0 });
    model.dispose();
  });

  it('a worker that cannot load the model fails the call with a clear error, and the process goes on', async () => {
    await useBackend('wasm');
    const folder = scratchDir();
    cpSync(join(demoModelPath(), '..'), folder, { recursive: true });
    const model = await loadDemoModel({ path: join(folder, 'model.json'), workers: 2 });
    rmSync(join(folder, 'weights.bin'));
    const batch = tf.tile(image, [16, 1, 1, 1]) as tf.Tensor4D;
    const error = await expectRejectsWithoutLeak(() => model.predict(batch));
    expect(error).toBeInstanceOf(XaiError);
    expect(error.message).toMatch(/^a worker could not load the model \(loadTfjsModelFile from file:\/\/.*\/model-files\.js\): Weight file not found: .*weights\.bin/);
    // The model itself (loaded before the file went) still works in-process.
    const one = tf.slice(batch, [0, 0, 0, 0], [1, -1, -1, -1]);
    (await model.predict(one)).dispose();
    tf.dispose([one, batch]);
    model.dispose();
  });
});

/** Every file under `dir` by relative path; wall-clock times (`seconds`, timings.json) left out. */
function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name !== 'timings.json') out[relative(dir, path)] = withoutTimes(name, readFileSync(path));
    }
  };
  walk(dir);
  return out;
}

function withoutTimes(name: string, bytes: Buffer): string {
  if (!name.endsWith('.json')) return bytes.toString('base64');
  return JSON.stringify(JSON.parse(bytes.toString('utf8')), (key, value: unknown) => (key === 'seconds' ? undefined : value));
}

describe('xai --workers', () => {
  const star = demoSampleFiles('star-1');
  const circle = demoSampleFiles('circle-1');
  beforeAll(() => useBackend('wasm'));

  it('refuses a count that is not a whole number from 1 to 64, exit 2', async () => {
    for (const bad of ['0', 'x', '65', '1.5']) {
      const run = await xai('explain', star.image, '--workers', bad, '--out', join(scratchDir(), 'out'));
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`--workers must be a whole number from 1 to 64, got "${bad}"`);
    }
  });

  it('--help says what it does and that onnxruntime models do not use it', async () => {
    const help = (await xai('explain', '--help')).stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--workers N worker threads that share the forward passes of a model on tfjs .* Does nothing for ONNX models on onnxruntime, which use its own threads \(default: the number of cores, \d+ here\)/);
  });

  for (const command of ['explain', 'compare'] as const) {
    it(`${command} writes the same files with --workers 2 as with --workers 1`, async () => {
      const args = command === 'explain'
        ? ['explain', star.image, '--method', 'rise,score-cam,occlusion', '--n', '96', '--quiet']
        : ['compare', star.image, circle.image, '--methods', 'rise,occlusion', '--n', '64', '--step', '1152', '--quiet'];
      const outputs = [];
      // One folder (results name their files), emptied between the runs.
      const out = join(scratchDir(), 'out');
      for (const workers of ['1', '2']) {
        rmSync(out, { recursive: true, force: true });
        const run = await xai(...args, '--workers', workers, '--out', out);
        expect(run.code, run.stderr).toBe(0);
        outputs.push(filesUnder(out));
      }
      expect(Object.keys(outputs[1]).sort()).toEqual(Object.keys(outputs[0]).sort());
      expect(Object.keys(outputs[0]).length).toBeGreaterThan(2);
      for (const name of Object.keys(outputs[0])) expect(outputs[1][name] === outputs[0][name], name).toBe(true);
    });
  }
});
