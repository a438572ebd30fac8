import { describe, expect, test } from 'vitest';
import { MAX_WASM_THREADS, wasmThreads } from '../src/logic/threads.js';

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
