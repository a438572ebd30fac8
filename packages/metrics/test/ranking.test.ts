import { describe, expect, it } from 'vitest';
import { XaiError } from '@xai/core';
import { readFixtureFloat32, readFixtureNpy, goldenCase } from '@xai/testing';
import { checkPixelOrder, saliencyOrder } from '../src/index.js';

describe('saliencyOrder', () => {
  it('sorts by decreasing saliency, lower pixel index first on ties, NaN last', () => {
    const order = saliencyOrder(Float32Array.from([0.5, NaN, 0.9, 0.5, -Infinity, 0.9, 0.1]));
    expect(Array.from(order)).toEqual([2, 5, 0, 3, 6, 4, 1]);
  });

  it('reproduces the golden salient_order.npy from rise_orig.npy except inside ties', () => {
    const { top_class: top, input_size: [h, w] } = goldenCase();
    const rise = readFixtureFloat32('tiny-chelsea', 'rise_orig.npy').data.subarray(top * h * w, (top + 1) * h * w);
    const golden = readFixtureNpy('tiny-chelsea', 'salient_order.npy').data as BigInt64Array;
    const ours = saliencyOrder(rise);
    let differences = 0;
    for (let k = 0; k < ours.length; k++) {
      if (ours[k] === Number(golden[k])) continue;
      differences++;
      // Where the orders differ, both pixels must hold the same saliency: only ties are free.
      expect(rise[ours[k]]).toBe(rise[Number(golden[k])]);
    }
    expect(differences).toBeLessThan(ours.length / 100);
  });
});

describe('checkPixelOrder', () => {
  it('accepts a permutation given as numbers or int64', () => {
    expect(Array.from(checkPixelOrder([2, 0, 1, 3], 4))).toEqual([2, 0, 1, 3]);
    expect(Array.from(checkPixelOrder(BigInt64Array.from([3n, 1n, 0n, 2n]), 4))).toEqual([3, 1, 0, 2]);
  });

  it('rejects wrong lengths, duplicates and out-of-range entries with what is accepted', () => {
    expect(() => checkPixelOrder([0, 1, 2], 4)).toThrow(/has 3 entries; the model input has 4 pixels/);
    expect(() => checkPixelOrder([0, 1, 1, 2], 4)).toThrow(/lists pixel 1 twice; it must be a permutation of 0 … 3/);
    expect(() => checkPixelOrder([0, 1, 2, 4], 4)).toThrow(/holds 4 at position 3; entries must be pixel indices in \[0, 3\]/);
    expect(() => checkPixelOrder([0, 1, 2.5, 3], 4)).toThrow(XaiError);
  });
});
