import { sinCos } from './exact-math.js';
import { disc, polygon, type Point, type Region } from './raster.js';

/** The object classes, in label order. */
export const SHAPE_CLASSES = ['circle', 'square', 'triangle', 'star'] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

export interface Placement {
  cx: number;
  cy: number;
  /** Radius of the circumscribed circle, in pixels. */
  radius: number;
  /** Radians, clockwise in image coordinates. */
  rotation: number;
}

/**
 * Each class as a region. Sizes are scaled so that every class fills a similar area for the
 * same `radius` (area is not a shortcut): square and triangle are drawn slightly larger than
 * their circumradius would make them, the circle slightly smaller.
 */
export function shapeRegion(shape: ShapeClass, at: Placement): Region {
  switch (shape) {
    case 'circle':
      return disc(at.cx, at.cy, at.radius * 0.85);
    case 'square':
      return polygon(regularPolygon(4, at.radius * 0.95, at));
    case 'triangle':
      return polygon(regularPolygon(3, at.radius * 1.1, at));
    case 'star':
      return polygon(starPolygon(5, at.radius * 1.1, at.radius * 0.5, at));
  }
}

function regularPolygon(sides: number, radius: number, at: Placement): Point[] {
  return Array.from({ length: sides }, (_, k) => polar(at, radius, at.rotation + (2 * Math.PI * k) / sides));
}

function starPolygon(points: number, outer: number, inner: number, at: Placement): Point[] {
  return Array.from({ length: 2 * points }, (_, k) =>
    polar(at, k % 2 === 0 ? outer : inner, at.rotation + (Math.PI * k) / points),
  );
}

function polar(at: Placement, radius: number, angle: number): Point {
  const [s, c] = sinCos(angle);
  return [at.cx + radius * c, at.cy + radius * s];
}
