import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';

interface Reference {
  uniform: number[];
  normal: number[];
  integer: number[];
  mixed: number[];
}
const reference = JSON.parse(
  readFileSync(new URL('./fixtures/numpy-random.json', import.meta.url), 'utf8'),
) as Record<string, Reference>;

describe('Random (NumPy RandomState compatible)', () => {
  for (const [seed, ref] of Object.entries(reference)) {
    it(`matches NumPy's uniform, normal and randint draws for seed ${seed}`, () => {
      const uniform = new Random(Number(seed));
      expect(ref.uniform.map(() => uniform.uniform())).toEqual(ref.uniform);
      const normal = new Random(Number(seed));
      ref.normal.forEach((v) => expect(normal.normal()).toBeCloseTo(v, 14));
      const ints = new Random(Number(seed));
      expect([...Array(5)].map(() => ints.integer(7)).concat([...Array(5)].map(() => ints.integer(1000)))).toEqual(ref.integer);
      const mixed = new Random(Number(seed));
      const draws = [mixed.uniform(), mixed.normal(), mixed.uniform(), mixed.normal(), mixed.normal()];
      draws.forEach((v, i) => expect(v).toBeCloseTo(ref.mixed[i], 14));
    });
  }

  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = new Random(7);
    const b = new Random(7);
    const c = new Random(8);
    const sa = [...Array(1000)].map(() => a.nextUint32());
    expect([...Array(1000)].map(() => b.nextUint32())).toEqual(sa);
    expect([...Array(1000)].map(() => c.nextUint32())).not.toEqual(sa);
  });

  it('has the moments of its distributions', () => {
    const r = new Random(123);
    const n = 100_000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    for (let i = 0; i < n; i++) {
      su += r.uniform();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(su / n).toBeCloseTo(0.5, 2);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(sn2 / n).toBeCloseTo(1, 1);
  });

  it('refuses seeds that are not 32-bit unsigned integers', () => {
    expect(() => new Random(-1)).toThrow(/integer from 0 to 4294967295, got -1/);
    expect(() => new Random(1.5)).toThrow(/got 1.5/);
    expect(() => new Random(0).integer(0)).toThrow(/integer n from 1/);
  });
});
