import type { Random } from '@xai/core';
import { foregroundColour, type Rgb } from './colour.js';
import { sinCos } from './exact-math.js';
import { coverage, paint, polygon, stroke, type Point, type Region } from './raster.js';

/**
 * Distractors that carry no class information: short strokes and small irregular blobs, in
 * colours from the same distribution as the objects. They are much smaller than any object
 * and never one of the class shapes.
 */
export function drawClutter(rng: Random, rgb: Float32Array, size: number, background: readonly Rgb[]): void {
  const scale = size / 96;
  const count = 3 + rng.integer(6);
  for (let k = 0; k < count; k++) {
    const colour = foregroundColour(rng, background);
    const region = rng.uniform() < 0.6 ? randomStroke(rng, size, scale) : randomBlob(rng, size, scale);
    paint(rgb, coverage(region, size), colour);
  }
}

function randomStroke(rng: Random, size: number, scale: number): Region {
  const from: Point = [rng.uniform() * size, rng.uniform() * size];
  const length = (5 + rng.uniform() * 11) * scale;
  const [s, c] = sinCos(rng.uniform() * 2 * Math.PI);
  const width = (1 + rng.uniform() * 1.5) * scale;
  return stroke(from, [from[0] + length * c, from[1] + length * s], width);
}

/** A lumpy polygon of 6–8 vertices whose radius varies at random. */
function randomBlob(rng: Random, size: number, scale: number): Region {
  const cx = rng.uniform() * size;
  const cy = rng.uniform() * size;
  const radius = (2 + rng.uniform() * 2.5) * scale;
  const vertices = 6 + rng.integer(3);
  const start = rng.uniform() * 2 * Math.PI;
  const points: Point[] = [];
  for (let v = 0; v < vertices; v++) {
    const r = radius * (0.55 + 0.45 * rng.uniform());
    const [s, c] = sinCos(start + (2 * Math.PI * v) / vertices);
    points.push([cx + r * c, cy + r * s]);
  }
  return polygon(points);
}
