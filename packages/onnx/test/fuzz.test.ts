import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '@xai/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel, mutate, mutateFields } from '../src/index.js';
import { FIXTURES, GOLDEN, useBackend } from './helpers.js';

const read = (path: string) => new Uint8Array(readFileSync(path));

/** Loads every case; anything but success or an XaiError fails the test with its seed. */
async function fuzz(cases: number, make: (seed: number) => { bytes: Uint8Array; mutation: string }): Promise<Record<string, number>> {
  const outcomes: Record<string, number> = { loaded: 0 };
  for (let seed = 0; seed < cases; seed++) {
    const { bytes, mutation } = make(seed);
    try {
      const model = await loadOnnxModel(bytes, { engine: 'tfjs' });
      model.dispose();
      outcomes.loaded++;
    } catch (error) {
      if (!(error instanceof XaiError)) {
        throw new Error(`seed ${seed} (${mutation}) failed with ${(error as Error).name}: ${(error as Error).message}`);
      }
      outcomes[mutation] = (outcomes[mutation] ?? 0) + 1;
    }
  }
  return outcomes;
}

describe('fuzzed model files', () => {
  const tiny = read(join(GOLDEN, 'model.onnx'));
  const densenet = read(join(FIXTURES, 'densenet.onnx'));
  const shufflenet = read(join(FIXTURES, 'shufflenet.onnx'));
  const mobilenet = read(join(FIXTURES, 'mobilenet-v3.onnx'));
  beforeAll(() => useBackend('cpu'));

  it('300 byte-level mutations (bit flips, truncations, splices) load or fail with XaiError', async () => {
    const sources = [tiny, densenet];
    const start = tf.memory().numTensors;
    const outcomes = await fuzz(300, (seed) => mutate(sources[seed % 2], seed, sources[(seed >> 1) % 2]));
    expect(outcomes.loaded).toBeGreaterThan(0);
    expect(Object.keys(outcomes).length).toBeGreaterThan(4);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('200 field-level mutations (attributes, op types, dims, spliced nodes) load or fail with XaiError', async () => {
    const sources = [tiny, densenet, shufflenet, mobilenet];
    const start = tf.memory().numTensors;
    const outcomes = await fuzz(200, (seed) => mutateFields(sources[seed % 4], seed, sources[(seed + 1) % 4]));
    expect(outcomes.loaded).toBeGreaterThan(0);
    expect(Object.keys(outcomes).length).toBeGreaterThan(4);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('mutations are reproducible from the seed', () => {
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
    expect(same(mutate(tiny, 42).bytes, mutate(tiny, 42).bytes)).toBe(true);
    expect(same(mutateFields(tiny, 42).bytes, mutateFields(tiny, 42).bytes)).toBe(true);
    expect(same(mutate(tiny, 42).bytes, mutate(tiny, 43).bytes)).toBe(false);
  });
});
