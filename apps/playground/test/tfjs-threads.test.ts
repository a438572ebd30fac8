import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { tfjsThreadedWasm } from '../tfjs-threads.js';

const require = createRequire(import.meta.url);
const factoryPath = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');

type Transform = (this: { error(message: string): never }, code: string, id: string) => { code: string } | null;
const transform = tfjsThreadedWasm().transform as Transform;
const context = { error: (message: string): never => { throw new Error(message); } };

describe('the tfjs threaded factory patch', () => {
  test('names nothing outside the factory and reports twice the logical cores to the C++ cap', () => {
    const source = readFileSync(factoryPath, 'utf8');
    const out = transform.call(context, source, factoryPath)!.code;
    expect(out).not.toContain('_scriptDir){scriptDirectory=_scriptDir}');
    expect(out).not.toContain('||_scriptDir,');
    expect(out).toContain('function _emscripten_num_logical_cores(){return 2*navigator["hardwareConcurrency"]}');
    expect(out.length).toBeLessThan(source.length);
  });

  test('other files pass through; a changed factory stops the build with what to check', () => {
    expect(transform.call(context, 'export const x = 1;', '/src/main.ts')).toBeNull();
    expect(() => transform.call(context, 'var Module = {};', factoryPath)).toThrow(/tfjs-backend-wasm-threaded-simd\.js changed: check what its factory names outside itself and how it counts cores/);
  });
});
