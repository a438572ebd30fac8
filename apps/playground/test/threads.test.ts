import { describe, expect, test } from 'vitest';
import { MAX_WORKERS } from '@xai/core';
import { MAX_WASM_THREADS, poolWorkers, wasmThreads } from '../src/logic/threads.js';

describe('wasm threads', () => {
  test('cross-origin isolated: every logical core, at most the cap', () => {
    expect(wasmThreads(true, 2)).toBe(2);
    expect(wasmThreads(true, 6)).toBe(6);
    expect(wasmThreads(true, 64)).toBe(MAX_WASM_THREADS);
    expect(MAX_WASM_THREADS).toBe(8);
  });

  test('not isolated (no SharedArrayBuffer): one thread, whatever was asked', () => {
    expect(wasmThreads(false, 8)).toBe(1);
    expect(wasmThreads(false, 8, 4)).toBe(1);
  });

  test('the URL may ask for a count: a whole number from 1, capped; anything else means the cores', () => {
    expect(wasmThreads(true, 8, 1)).toBe(1);
    expect(wasmThreads(true, 2, 4)).toBe(4);
    expect(wasmThreads(true, 8, 20)).toBe(MAX_WASM_THREADS);
    for (const bad of [0, -2, 1.5, Number.NaN]) expect(wasmThreads(true, 4, bad)).toBe(4);
  });

  test('unknown core count (no navigator.hardwareConcurrency): one thread', () => {
    expect(wasmThreads(true, undefined)).toBe(1);
    expect(wasmThreads(true, 0)).toBe(1);
  });
});

describe('pool workers (the passes of tfjs models)', () => {
  test('cross-origin isolated: no pool, wasm threads use the cores', () => {
    expect(poolWorkers(true, 8, MAX_WORKERS)).toBeUndefined();
    expect(poolWorkers(true, 8, MAX_WORKERS, 4)).toBeUndefined();
  });

  test('not isolated: one worker per logical core, or the URL\'s count, at most the pool\'s bound', () => {
    expect(poolWorkers(false, 2, MAX_WORKERS)).toBe(2);
    expect(poolWorkers(false, 2, MAX_WORKERS, 1)).toBe(1);
    expect(poolWorkers(false, 2, MAX_WORKERS, 5)).toBe(5);
    expect(poolWorkers(false, 128, MAX_WORKERS)).toBe(MAX_WORKERS);
    expect(poolWorkers(false, 2, MAX_WORKERS, 1000)).toBe(MAX_WORKERS);
    for (const bad of [0, -1, 2.5, Number.NaN]) expect(poolWorkers(false, 6, MAX_WORKERS, bad)).toBe(6);
    expect(poolWorkers(false, undefined, MAX_WORKERS)).toBe(1);
  });
});
