import { describe, expect, it } from 'vitest';
import { npyToFloat32 } from '@xai/core';
import { maxAbsDiff } from '@xai/testing';
import { mirrorLinearSampling, upsampleCrop, resizeMirrorBilinear } from '../src/index.js';
import { readRiseFixture } from './helpers.js';

const cases = [0, 1, 2, 3, 4].flatMap((i) => (['binary', 'gauss'] as const).map((kind) => `${i}_${kind}`));

describe('mirror-edge bilinear upsampling and crop', () => {
  it.each(cases)('reproduces scikit-image for fixture case %s to 1e-6', (name) => {
    const grid = readRiseFixture('mask-upsampling', `${name}_grid.npy`);
    const expected = readRiseFixture('mask-upsampling', `${name}_mask.npy`);
    const [s, size, dy, dx] = Array.from(npyToFloat32(readRiseFixture('mask-upsampling', `${name}_meta.npy`)));
    expect(grid.shape).toEqual([s, s]);
    const cell = Math.ceil(size / s);
    const up = (s + 1) * cell;
    const sampling = mirrorLinearSampling(s, up);
    const out = new Float32Array(size * size);
    upsampleCrop(npyToFloat32(grid), s, s, sampling, sampling, { dy, dx, height: size, width: size }, out);
    expect(maxAbsDiff(out, npyToFloat32(expected))).toBeLessThan(1e-6);
  });

  it('mirrors coordinates past the edges instead of clamping them', () => {
    // Input [0, 1], output 4: c = −0.25, 0.25, 0.75, 1.25 → mirrored 0.25, 0.25, 0.75, 0.75.
    expect(Array.from(resizeMirrorBilinear([0, 1], 1, 2, 1, 4))).toEqual([0.25, 0.25, 0.75, 0.75]);
  });

  it('returns the sum of the values it writes', () => {
    const out = new Float32Array(6);
    const rows = mirrorLinearSampling(2, 6);
    const sum = upsampleCrop([0, 1, 1, 0], 2, 2, rows, rows, { dy: 1, dx: 2, height: 2, width: 3 }, out);
    expect(sum).toBeCloseTo(out.reduce((a, b) => a + b, 0), 12);
  });
});
