// Backward conformance (issue 25): every backward recipe on the inputs of ONNX's own node tests
// (Debian's libonnx-testdata), against central finite differences in float64, or the tfjs
// gradient where onnxruntime has no float64 kernel. Prints, per operator, how many cases pass.
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRADIENT_RECIPES } from '../src/gradient/rules.js';
import { checkBackward, type BackwardOutcome } from './conformance/backward.js';
import { conformanceCases, nodeTestsDir, INSTALL_HINT } from './conformance/cases.js';
import { useBackend } from './helpers.js';

/** Cases whose refusal or failure is understood: case name → reason. */
const KNOWN = JSON.parse(readFileSync(new URL('./conformance/known-backward.json', import.meta.url), 'utf8')) as Record<string, string>;
/** Operators whose recipe only passes the gradient on (no arithmetic to check) are checked all the same. */
const OPS = new Set(Object.keys(GRADIENT_RECIPES));

describe('backward recipes against ONNX node tests', () => {
  it('finds the node tests (apt-get install libonnx-testdata)', () => {
    expect(nodeTestsDir(), INSTALL_HINT).toBeDefined();
  });

  const cases = nodeTestsDir() ? conformanceCases((info) => OPS.has(info.op) && info.nodeOps.length === 1 && info.otherDomains.length === 0) : [];
  const outcomes = new Map<string, { op: string; outcome: BackwardOutcome }>();
  beforeAll(() => useBackend('cpu'));
  afterAll(() => {
    const rows = new Map<string, { cases: number; passed: number; known: number; na: number }>();
    for (const { op, outcome } of outcomes.values()) {
      const row = rows.get(op) ?? { cases: 0, passed: 0, known: 0, na: 0 };
      row.cases++;
      if (outcome.status === 'passed') row.passed++;
      else if (outcome.status === 'not applicable') row.na++;
      else row.known++;
      rows.set(op, row);
    }
    const lines = [...rows].sort(([a], [b]) => a.localeCompare(b)).map(([op, r]) => `${op.padEnd(20)} ${String(r.cases).padStart(5)} ${String(r.passed).padStart(6)} ${String(r.known).padStart(6)} ${String(r.na).padStart(5)}`);
    const total = [...rows.values()].reduce((t, r) => ({ cases: t.cases + r.cases, passed: t.passed + r.passed }), { cases: 0, passed: 0 });
    console.log(`backward conformance (gradient graph on onnxruntime vs float64 finite differences or tfjs):\n${'operator'.padEnd(20)} cases passed  known   n/a\n${lines.join('\n')}\n${total.passed} of ${total.cases} cases pass`);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const before = tf.memory().numTensors;
    const outcome = await checkBackward(c);
    outcomes.set(name, { op: c.op, outcome });
    expect(tf.memory().numTensors).toBe(before);
    if (outcome.status === 'passed' || outcome.status === 'not applicable') {
      expect(KNOWN[name], `${name} passes now: take it off known-backward.json`).toBeUndefined();
      return;
    }
    expect(KNOWN[name], `${name}: ${outcome.reason}`).toBeDefined();
  });
});
