import { describe, expect, test } from 'vitest';
import { softmax, topClasses } from '../src/logic/top-classes.js';

describe('softmax', () => {
  test('sums to one and keeps the order of the logits', () => {
    const p = softmax([1, 3, 2]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[1]).toBeGreaterThan(p[2]);
    expect(p[2]).toBeGreaterThan(p[0]);
  });

  test('stays finite for huge logits', () => {
    expect(softmax([1000, 1000])).toEqual([0.5, 0.5]);
  });
});

describe('topClasses', () => {
  test('gives the k most probable classes with names, most probable first', () => {
    const top = topClasses(Float32Array.from([0.1, 2, -1, 2, 0.5]), 3, ['a', 'b', 'c', 'd', 'e']);
    expect(top.map((p) => p.classIndex)).toEqual([1, 3, 4]);
    expect(top.map((p) => p.className)).toEqual(['b', 'd', 'e']);
    expect(top[0].probability).toBeCloseTo(top[1].probability, 12);
  });

  test('returns every class when k is larger', () => {
    expect(topClasses([0, 1], 5)).toHaveLength(2);
  });
});
