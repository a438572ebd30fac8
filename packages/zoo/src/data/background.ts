import type { Random } from '@xai/core';
import { backgroundColour, type Rgb } from './colour.js';
import { sinCos } from './exact-math.js';

export const BACKGROUND_KINDS = ['gradient', 'stripes', 'noise'] as const;
export type BackgroundKind = (typeof BACKGROUND_KINDS)[number];

export interface Background {
  kind: BackgroundKind;
  /** The two colours the texture blends between. */
  colours: [Rgb, Rgb];
  /** Interleaved RGB, float 0–255, size×size×3. */
  rgb: Float32Array;
}

/** How far the second background colour may stray from the first, per channel. */
const TEXTURE_CONTRAST = 40;

/** A textured background: a linear gradient, soft stripes or smooth value noise between two colours. */
export function drawBackground(rng: Random, size: number): Background {
  const kind = BACKGROUND_KINDS[rng.integer(BACKGROUND_KINDS.length)];
  const first = backgroundColour(rng);
  const second = first.map((v) => clamp(v + (rng.uniform() * 2 - 1) * TEXTURE_CONTRAST, 0, 255)) as Rgb;
  const blend = texture(kind, rng, size);
  const rgb = new Float32Array(size * size * 3);
  for (let p = 0; p < size * size; p++) {
    const t = blend[p];
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = first[c] + (second[c] - first[c]) * t;
  }
  return { kind, colours: [first, second], rgb };
}

/** A size×size map of blend weights in [0, 1]. */
function texture(kind: BackgroundKind, rng: Random, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const [dirSin, dirCos] = sinCos(rng.uniform() * 2 * Math.PI);
  if (kind === 'gradient') {
    const half = size / 2;
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        const along = ((j + 0.5 - half) * dirCos + (i + 0.5 - half) * dirSin) / size;
        out[i * size + j] = clamp(along + 0.5, 0, 1);
      }
    }
  } else if (kind === 'stripes') {
    const period = ((6 + rng.uniform() * 14) * size) / 96;
    const phase = rng.uniform() * 2 * Math.PI;
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        const along = ((j + 0.5) * dirCos + (i + 0.5) * dirSin) / period;
        out[i * size + j] = 0.5 + 0.5 * sinCos(2 * Math.PI * along + phase)[0];
      }
    }
  } else {
    valueNoise(rng, size, out);
  }
  return out;
}

/** Random values on a coarse grid, interpolated with smoothstep weights. */
function valueNoise(rng: Random, size: number, out: Float32Array): void {
  const cell = ((8 + rng.uniform() * 16) * size) / 96;
  const cells = Math.ceil(size / cell) + 1;
  const grid = Float64Array.from({ length: (cells + 1) * (cells + 1) }, () => rng.uniform());
  const at = (gy: number, gx: number) => grid[gy * (cells + 1) + gx];
  for (let i = 0; i < size; i++) {
    const fy = (i + 0.5) / cell;
    const gy = Math.floor(fy);
    const ty = smoothstep(fy - gy);
    for (let j = 0; j < size; j++) {
      const fx = (j + 0.5) / cell;
      const gx = Math.floor(fx);
      const tx = smoothstep(fx - gx);
      const top = at(gy, gx) + (at(gy, gx + 1) - at(gy, gx)) * tx;
      const bottom = at(gy + 1, gx) + (at(gy + 1, gx + 1) - at(gy + 1, gx)) * tx;
      out[i * size + j] = top + (bottom - top) * ty;
    }
  }
}

function smoothstep(t: number): number {
  return t * t * (3 - 2 * t);
}

export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
