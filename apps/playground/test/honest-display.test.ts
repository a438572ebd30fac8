import { describe, expect, test } from 'vitest';
import { backendBadge, backendNotes, passEngine } from '../src/logic/backend-badge.js';
import { compareChartSvg, methodColour } from '../src/logic/compare-chart.js';
import { dependenceWarning } from '../src/logic/dependence.js';
import { drawableRange, formatValue, sharedRange, signedAttribution } from '../src/logic/scales.js';
import type { EvaluateResult } from '../src/protocol.js';

const curve = (scores: number[]) => ({ scores, auc: 0, classIndex: 0, step: 1, substrate: 'zeros' });
const curves = (insertion: number[], deletion: number[]): EvaluateResult => ({
  insertion: curve(insertion),
  deletion: curve(deletion),
  random: { insertion: 0, deletion: 0, seed: 0 },
});

describe('what the page says about the backend', () => {
  test('threaded wasm: "wasm · SIMD · N threads"; no isolation says why it is one thread', () => {
    const info = { id: 'wasm', skipped: [{ id: 'webgl', reason: 'emulated in software' }], crossOriginIsolated: true, wasm: { simd: true, threads: 4, cores: 8, binary: 'tfjs-backend-wasm-threaded-simd-abc.wasm' } };
    expect(backendBadge(info)).toBe('wasm · SIMD · 4 threads');
    expect(backendNotes(info)).toEqual([
      'wasm binary: tfjs-backend-wasm-threaded-simd-abc.wasm',
      'threads: 4 (one per logical core, 8 here, at most 8)',
      'cross-origin isolated: wasm may use threads',
      'webgl passed over: emulated in software',
    ]);
    const plain = { id: 'wasm', skipped: [], crossOriginIsolated: false, wasm: { simd: true, threads: 1, cores: 2, binary: 'tfjs-backend-wasm-simd.wasm' } };
    expect(backendBadge(plain)).toBe('wasm · SIMD · 1 thread');
    expect(backendNotes(plain)[1]).toMatch(/not cross-origin isolated .*one thread/);
    expect(backendBadge({ id: 'webgl', skipped: [] })).toBe('webgl');
  });

  test('an ONNX model on onnxruntime-web: the badge and the notes name the engine of the passes and its threads', () => {
    const info = { id: 'wasm', skipped: [], crossOriginIsolated: true, wasm: { simd: true, threads: 2, cores: 2, binary: 'tfjs-backend-wasm-threaded-simd.wasm' } };
    const ort = passEngine('onnxruntime-web', 2);
    expect(ort).toEqual({ engine: 'onnxruntime-web', threads: 2 });
    expect(backendBadge(info, ort)).toBe('wasm · SIMD · 2 threads · passes: onnxruntime-web · 2 threads');
    expect(backendBadge(info, passEngine('onnxruntime-web (fixed batch 1)', 1))).toBe('wasm · SIMD · 2 threads · passes: onnxruntime-web · 1 thread');
    expect(backendBadge({ id: 'webgl', skipped: [] }, ort)).toBe('webgl · passes: onnxruntime-web · 2 threads');
    expect(backendNotes(info, ort)).toContain(
      'forward passes (RISE, Score-CAM, Occlusion, the metrics): onnxruntime-web, wasm, 2 threads; layers and gradients: none (black-box)',
    );
    // Its gradients through gradient graphs on onnxruntime-web too, or on the tfjs graph when one could not be built.
    const graphs = 'onnxruntime-web (gradient graph)';
    expect(backendBadge(info, ort, graphs)).toBe('wasm · SIMD · 2 threads · passes and gradients: onnxruntime-web · 2 threads');
    expect(backendNotes(info, ort, graphs)).toContain(
      'forward passes (RISE, Score-CAM, Occlusion, the metrics): onnxruntime-web, wasm, 2 threads; layers and gradients: onnxruntime-web, wasm, through gradient graphs',
    );
    const fallback = 'tfjs:wasm (the gradient graph has no backward recipe for Foo)';
    expect(backendBadge(info, ort, fallback)).toBe('wasm · SIMD · 2 threads · passes: onnxruntime-web · 2 threads');
    expect(backendNotes(info, ort, fallback)).toContain(
      'forward passes (RISE, Score-CAM, Occlusion, the metrics): onnxruntime-web, wasm, 2 threads; layers and gradients: the tfjs graph, tfjs:wasm (the gradient graph has no backward recipe for Foo)',
    );
    // The tfjs graph (an ONNX model onnxruntime-web refused, the demo model): the badge stays the backend's.
    const graph = passEngine('tfjs:wasm', 2);
    expect(graph).toEqual({ engine: 'tfjs' });
    expect(backendBadge(info, graph)).toBe('wasm · SIMD · 2 threads');
    expect(backendNotes(info, graph)).toContain('forward passes: tfjs (wasm)');
  });

  test('not isolated, a tfjs model on a pool of workers: the badge counts them; a failed pool says it runs in-process, and why', () => {
    const info = { id: 'wasm', skipped: [], crossOriginIsolated: false, wasm: { simd: true, threads: 1, cores: 2, binary: 'tfjs-backend-wasm-simd.wasm' } };
    const pool = { engine: 'tfjs' as const, backend: 'wasm', workers: 2 };
    expect(backendBadge(info, pool)).toBe('wasm · SIMD · 1 thread · passes: tfjs-wasm · 2 workers');
    expect(backendBadge(info, { ...pool, workers: 1 })).toBe('wasm · SIMD · 1 thread · passes: tfjs-wasm · 1 worker');
    expect(backendBadge({ id: 'cpu', skipped: [] }, { ...pool, backend: 'cpu', workers: 4 })).toBe('cpu · passes: tfjs-cpu · 4 workers');
    expect(backendNotes(info, pool)).toContain(
      "forward passes (RISE, Score-CAM, Occlusion, the metrics): tfjs (wasm) on 2 workers, each with its own copy of the model, in place of wasm threads (the page is not cross-origin isolated); layers and gradients: the app's worker",
    );
    const failed = { engine: 'tfjs' as const, backend: 'wasm', workers: 1, inProcess: 'a worker stopped while loading the model (…): the worker failed to start' };
    expect(backendBadge(info, failed)).toBe('wasm · SIMD · 1 thread · passes: tfjs-wasm · in-process (the pool failed)');
    expect(backendNotes(info, failed)).toContain(
      "forward passes: tfjs (wasm) in the app's worker, because the worker pool failed: a worker stopped while loading the model (…): the worker failed to start",
    );
  });
});

describe('colour scales', () => {
  test('a shared range spans every map; a flat map still gets a drawable range', () => {
    expect(sharedRange([{ data: Float32Array.of(0.48, 0.53) }, { data: Float32Array.of(0, 1) }])).toEqual([0, 1]);
    expect(drawableRange([0.5, 0.5])).toEqual([0, 1]);
    expect(drawableRange([0.476, 0.534])).toEqual([0.476, 0.534]);
    expect(formatValue(0.47634)).toBe('0.476');
    expect(formatValue(-0.000012)).toBe('-1.20e-5');
  });

  test('a signed attribution sums its channels and gets a range centred on 0', () => {
    const map = { data: new Float32Array(2), height: 1, width: 2, classIndex: 0, method: 'saliency', params: {}, attribution: { data: Float32Array.of(1, -3, 0.5, 0.5), channels: 2 } };
    const signed = signedAttribution(map)!;
    expect([...signed.data]).toEqual([-2, 1]);
    expect(signed.range).toEqual([-2, 2]);
    expect(signedAttribution({ ...map, attribution: undefined })).toBeUndefined();
  });
});

describe('the flat-model warning', () => {
  test('warns when the probability barely moves between image, blur and black; not otherwise', () => {
    expect(dependenceWarning(curves([0.251, 0.252, 0.25], [0.25, 0.249, 0.251]))).toMatch(/barely depends on the image: the class probability moves by only 0\.0030/);
    expect(dependenceWarning(curves([0.1, 0.9], [0.9, 0.05]))).toBeUndefined();
  });
});

describe('the comparison chart', () => {
  test('one solid and one dashed curve per method, distinct colours, a legend row each', () => {
    const svg = compareChartSvg([
      { label: 'RISE <1>', insertion: [0, 1], deletion: [1, 0] },
      { label: 'Grad-CAM', insertion: [0, 0.5], deletion: [0.5, 0] },
    ]);
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2);
    expect(svg).toContain('RISE &lt;1&gt;');
    expect(new Set(Array.from({ length: 17 }, (_, k) => methodColour(k, 17))).size).toBe(17);
  });
});
