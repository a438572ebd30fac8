/**
 * Forward conformance: ONNX's own backend node tests (Debian's libonnx-testdata) for every
 * operator the tfjs graph implements, on the cpu and wasm backends, each case fed three ways
 * (conformance/run.ts). A case that fails must be listed in conformance/known.json with its
 * reason; a listed case that passes fails the test too, so the list stays true.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { SUPPORTED_OPS } from '../src/ops/registry.js';
import { INSTALL_HINT, conformanceCases, nodeTestsDir, type ConformanceCase } from './conformance/cases.js';
import { FEED_MODES, mismatch, runCase } from './conformance/run.js';
import { useBackend } from './helpers.js';

const BACKENDS = ['cpu', 'wasm'] as const;
const known = JSON.parse(readFileSync(new URL('./conformance/known.json', import.meta.url), 'utf8')) as Record<string, string>;
const supported = new Set(SUPPORTED_OPS);

/** Why the case fails, per backend and feed mode; empty when it passes everywhere. */
async function failures(c: ConformanceCase): Promise<string[]> {
  if (c.unreadable) return [c.unreadable];
  const found: string[] = [];
  for (const backend of BACKENDS) {
    await useBackend(backend);
    for (const mode of FEED_MODES) {
      const before = tf.memory().numTensors;
      let why: string | undefined;
      try {
        const computed = runCase(c, mode);
        why = computed.map((a, i) => mismatch(a, c.outputs[i])).find(Boolean);
      } catch (error) {
        why = (error as Error).message;
      }
      const left = tf.memory().numTensors - before;
      if (!why && left !== 0) why = `${left} tensors left behind`;
      if (why) found.push(`${backend}/${mode}: ${why}`);
    }
  }
  return found;
}

interface Row {
  cases: number;
  passed: number;
  known: number;
}

describe('forward conformance with ONNX backend node tests', () => {
  if (!nodeTestsDir()) {
    it('finds the node tests', () => {
      throw new Error(INSTALL_HINT);
    });
    return;
  }
  // Cases of the operators the graph implements whose every node the graph implements too (an
  // expanded case may use others); cases of other operators are not run.
  const cases = conformanceCases((c) => supported.has(c.op) && c.nodeOps.every((o) => supported.has(o)) && c.otherDomains.length === 0);
  const rows = new Map<string, Row>(SUPPORTED_OPS.map((op) => [op, { cases: 0, passed: 0, known: 0 }]));
  const byOp = new Map<string, ConformanceCase[]>();
  for (const c of cases) byOp.set(c.op, [...(byOp.get(c.op) ?? []), c]);

  const knownSeen: string[] = [];

  afterAll(() => {
    const line = (op: string, r: Row) => `${op.padEnd(20)} ${String(r.cases).padStart(5)} ${String(r.passed).padStart(6)} ${String(r.known).padStart(5)}`;
    const total: Row = { cases: 0, passed: 0, known: 0 };
    for (const r of rows.values()) (['cases', 'passed', 'known'] as const).forEach((k) => (total[k] += r[k]));
    console.log(
      [
        `${'op'.padEnd(20)} cases passed known`,
        ...[...rows].map(([op, r]) => line(op, r)),
        line('total', total),
        '',
        'known failures (conformance/known.json), with the first error seen:',
        ...knownSeen,
      ].join('\n'),
    );
  });

  it('lists only cases that exist and run', () => {
    const names = new Set(cases.map((c) => c.name));
    expect(Object.keys(known).filter((name) => !names.has(name)), 'names in conformance/known.json that are no case run here').toEqual([]);
  });

  for (const [op, opCases] of byOp) {
    it(`${op}: ${opCases.length} case${opCases.length > 1 ? 's' : ''}`, async () => {
      const row = rows.get(op)!;
      const unexpected: string[] = [];
      const nowPassing: string[] = [];
      for (const c of opCases) {
        const why = await failures(c);
        row.cases++;
        if (why.length === 0) row.passed++;
        else if (known[c.name]) {
          row.known++;
          knownSeen.push(`  ${c.name}: ${why[0]}`);
        }
        if (why.length > 0 && !known[c.name]) unexpected.push(`${c.name}:\n    ${why.join('\n    ')}`);
        if (why.length === 0 && known[c.name]) nowPassing.push(`${c.name} (listed: ${known[c.name]})`);
      }
      expect(unexpected, 'cases that fail and are not in conformance/known.json').toEqual([]);
      expect(nowPassing, 'cases in conformance/known.json that pass now: remove them').toEqual([]);
    });
  }
});
