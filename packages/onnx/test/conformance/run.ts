/**
 * Runs a node-test case on the tfjs graph and compares with ONNX's expected outputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { OnnxGraph } from '../../src/graph.js';
import { sizeOf } from '../../src/host.js';
import type { Value } from '../../src/ir.js';
import { TO_NCHW, TO_NHWC, hostToTensor } from '../../src/ops/context.js';
import { decode, type CaseTensor, type ConformanceCase } from './cases.js';

/**
 * How a case's inputs reach the graph, each a different path through the operators:
 * - `tensors`: fed at run time as tensors in ONNX's layout;
 * - `nhwc`: the same, but 4-D float inputs arrive transposed to NHWC, the layout images and
 *   convolution outputs have inside the graph;
 * - `constants`: every input an initializer, so shape-arithmetic operators fold on the host at
 *   load and the others read constants.
 */
export const FEED_MODES = ['tensors', 'nhwc', 'constants'] as const;
export type FeedMode = (typeof FEED_MODES)[number];

/**
 * Inputs the tfjs graph takes only as initializers, in every mode: weights it converts once at
 * load. Exported models always carry them so.
 */
export const INITIALIZER_ONLY: Readonly<Record<string, readonly number[]>> = {
  Conv: [1, 2],
  BatchNormalization: [1, 2, 3, 4],
};

/** An output as the graph computed it, in ONNX's layout. */
export interface Computed {
  name: string;
  kind: 'float' | 'int' | 'bool';
  dims: number[];
  data: ArrayLike<number>;
}

/** Runs the case on the current tfjs backend; every tensor it makes is disposed. */
export function runCase(c: ConformanceCase, mode: FeedMode): Computed[] {
  const model = decode(c.modelBytes);
  const graph = model.graph!;
  const nodeInputs = graph.node?.length === 1 ? graph.node[0].input ?? [] : [];
  const weights = new Set((INITIALIZER_ONLY[c.op] ?? []).map((i) => nodeInputs[i]).filter(Boolean));
  const baked = c.inputs.filter((t) => mode === 'constants' || weights.has(t.name));
  graph.initializer = [...(graph.initializer ?? []), ...baked.map((t) => t.proto)];
  const fed = c.inputs.filter((t) => !baked.includes(t));
  const g = new OnnxGraph(model, undefined, { inputs: 'any' });
  try {
    let computed: Computed[] = [];
    tf.tidy(() => {
      const feeds = new Map(fed.map((t) => [t.name, feed(t, mode)] as const));
      const out = g.runFeeds(feeds, { fetch: c.outputs.map((o) => o.name) });
      computed = c.outputs.map((o) => read(o.name, out.get(o.name)!));
    });
    return computed;
  } finally {
    g.dispose();
  }
}

function feed(t: CaseTensor, mode: FeedMode): Value {
  const x = hostToTensor(t.host);
  if (mode === 'nhwc' && x.rank === 4 && x.dtype === 'float32') return { kind: 'tensor', t: tf.transpose(x, TO_NHWC), nhwc: true };
  return { kind: 'tensor', t: x, nhwc: false };
}

function read(name: string, v: Value): Computed {
  if (v.kind === 'host') {
    const kind = v.h.dtype === 'float32' ? 'float' : v.h.dtype;
    return { name, kind, dims: [...v.h.shape], data: Array.from(v.h.data) };
  }
  const t = v.nhwc ? tf.transpose(v.t, TO_NCHW) : v.t;
  const kind = t.dtype === 'float32' ? 'float' : t.dtype === 'bool' ? 'bool' : 'int';
  return { name, kind, dims: [...t.shape], data: Array.from(t.dataSync() as ArrayLike<number>) };
}

const FLOAT_TYPES = new Set(['float', 'double', 'float16', 'bfloat16']);

/** The kind of values an ONNX element type holds. */
export function kindOf(dtype: string): Computed['kind'] {
  return FLOAT_TYPES.has(dtype) ? 'float' : dtype === 'bool' ? 'bool' : 'int';
}

/** ONNX's backend-test tolerances for floating outputs (`np.testing.assert_allclose`). */
export const RTOL = 1e-3;
export const ATOL = 1e-7;

/**
 * Why `actual` differs from `expected` (undefined when it agrees): same kind of values, same
 * dims, floats within ATOL + RTOL·|expected| (NaN where NaN, ±∞ where ±∞), ints and bools equal.
 */
export function mismatch(actual: Computed, expected: CaseTensor): string | undefined {
  const kind = kindOf(expected.dtype);
  if (actual.kind !== kind) return `output "${expected.name}" holds ${actual.kind} values, expected ${expected.dtype}`;
  if (actual.dims.length !== expected.dims.length || actual.dims.some((d, i) => d !== expected.dims[i])) {
    return `output "${expected.name}" has shape [${actual.dims.join(', ')}], expected [${expected.dims.join(', ')}]`;
  }
  const n = sizeOf(expected.dims);
  const agrees = (a: number, e: number) => {
    if (kind !== 'float') return a === e;
    if (Number.isNaN(e)) return Number.isNaN(a);
    if (!Number.isFinite(e)) return a === e;
    return Math.abs(a - e) <= ATOL + RTOL * Math.abs(e);
  };
  let first = -1;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (agrees(actual.data[i], expected.data[i])) continue;
    if (first < 0) first = i;
    count++;
  }
  if (count === 0) return undefined;
  return `output "${expected.name}": ${count} of ${n} values differ, first [${first}] = ${actual.data[first]}, expected ${expected.data[first]}`;
}
