// onnxruntime-node on a thread of its own (src/node/ort-thread.ts), as the Node loader runs it.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as ortNode from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../src/node/index.js';
import { createThreadedOrtRunner } from '../src/node/ort-thread.js';
import { GOLDEN, readNpy, relativeError, useBackend } from './helpers.js';

const MODEL = join(GOLDEN, 'model.onnx');
const bytes = (data: Float32Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** setImmediate turns this thread gets while `work` runs: about none when `work` blocks it. */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let running = true;
  const spin = () => {
    if (!running) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  await work();
  running = false;
  return turns;
}

describe('onnxruntime-node on its own thread', () => {
  beforeAll(() => useBackend('wasm'));

  it('predicts what an in-process session predicts, byte for byte, leaving this thread free meanwhile', async () => {
    const threaded = await loadOnnxModel(MODEL);
    // A module handed over cannot cross threads: that session runs here.
    const inProcess = await loadOnnxModel(MODEL, { ort: ortNode });
    expect([threaded.engine, inProcess.engine]).toEqual(['onnxruntime-node', 'onnxruntime-node']);
    const batch = tf.randomUniform([48, 64, 64, 3], -2, 2, 'float32', 5) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    let a: tf.Tensor2D | undefined;
    let b: tf.Tensor2D | undefined;
    const here = await turnsDuring(async () => (b = await inProcess.predict(batch)));
    const there = await turnsDuring(async () => (a = await threaded.predict(batch)));
    expect(bytes((await a!.data()) as Float32Array).equals(bytes((await b!.data()) as Float32Array))).toBe(true);
    expect(here).toBeLessThan(5);
    expect(there).toBeGreaterThan(20);
    tf.dispose([a!, b!]);
    expect(tf.memory().numTensors).toBe(before);
    batch.dispose();
    threaded.dispose();
    inProcess.dispose();
  });

  it('predictValues takes NCHW host values: the golden logits, the same bytes as predict; a wrong length is refused', async () => {
    const model = await loadOnnxModel(MODEL);
    const input = readNpy(join(GOLDEN, 'input.npy'));
    const nhwc = tf.transpose(tf.tensor4d(input.data, input.shape as [number, number, number, number]), [0, 2, 3, 1]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const viaValues = await model.predictValues!(Float32Array.from(input.data), 1);
    const viaPredict = await model.predict(nhwc);
    const values = (await viaValues.data()) as Float32Array;
    expect(relativeError(values, readNpy(join(GOLDEN, 'logits.npy')).data)).toBeLessThan(1e-4);
    expect(bytes(values).equals(bytes((await viaPredict.data()) as Float32Array))).toBe(true);
    tf.dispose([viaValues, viaPredict]);
    expect(tf.memory().numTensors).toBe(before);
    await expect(model.predictValues!(new Float32Array(10), 1)).rejects.toThrow('predictValues takes 1 × 12288 values for [1, 3, 64, 64] (NCHW), got 10');
    nhwc.dispose();
    model.dispose();
    await expect(model.predict(tf.zeros([1, 64, 64, 3]) as tf.Tensor4D)).rejects.toThrow('the model has been disposed');
  });

  it('says why: a model onnxruntime cannot load, a pass it refuses', async () => {
    const broken = await createThreadedOrtRunner(new Uint8Array([1, 2, 3]), 'input', 'logits');
    expect(broken.runner).toBeUndefined();
    expect(broken.reason).toMatch(/^onnxruntime could not load the model: /);
    const { runner } = await createThreadedOrtRunner(new Uint8Array(readFileSync(MODEL)), 'input', 'logits');
    await expect(runner!.run(new Float32Array(5), [1, 5])).rejects.toThrow(/^onnxruntime failed to run the model: /);
    await runner!.dispose();
    await expect(runner!.run(new Float32Array(5), [1, 5])).rejects.toThrow("onnxruntime's thread stopped: the model was disposed");
  });

  it('dispose lets a pass already sent finish, then releases the session; twice is once', async () => {
    const { runner } = await createThreadedOrtRunner(new Uint8Array(readFileSync(MODEL)), 'input', 'logits');
    const pass = runner!.run(new Float32Array(2 * 3 * 64 * 64), [2, 3, 64, 64]);
    const disposed = [runner!.dispose(), runner!.dispose()];
    expect((await pass).dims).toEqual([2, 4]);
    await Promise.all(disposed);
    await expect(runner!.run(new Float32Array(3 * 64 * 64), [1, 3, 64, 64])).rejects.toThrow("onnxruntime's thread stopped: the model was disposed");
  });

  it('the thread does not hold the process: a script that never disposes its model exits', async () => {
    const dist = join(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'node', 'index.js');
    const script = `
      const tf = await import('@tensorflow/tfjs-core');
      await import('@tensorflow/tfjs-backend-cpu');
      await tf.setBackend('cpu');
      const { loadOnnxModel } = await import(${JSON.stringify(dist)});
      const model = await loadOnnxModel(${JSON.stringify(MODEL)});
      const logits = await model.predict(tf.zeros([2, 64, 64, 3]));
      console.log(model.engine, logits.shape.join('x'));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      timeout: 60_000,
    });
    expect(stdout.trim()).toBe('onnxruntime-node 2x4');
  });
});
