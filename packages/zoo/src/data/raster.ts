/** A region of the plane: an inside test and a box (in pixel units) that contains it. */
export interface Region {
  contains(x: number, y: number): boolean;
  box: { x0: number; y0: number; x1: number; y1: number };
}

export type Point = readonly [number, number];

/** Samples per pixel along each axis: 4×4 supersampling gives 17 coverage levels for anti-aliasing. */
const SUB = 4;

/**
 * The fraction of each pixel covered by `region`, as a size×size map (row-major). Pixel (i, j)
 * spans [j, j+1)×[i, i+1); it is sampled on a regular 4×4 grid inside that square.
 */
export function coverage(region: Region, size: number): Float32Array {
  const out = new Float32Array(size * size);
  const x0 = Math.max(0, Math.floor(region.box.x0));
  const y0 = Math.max(0, Math.floor(region.box.y0));
  const x1 = Math.min(size, Math.ceil(region.box.x1));
  const y1 = Math.min(size, Math.ceil(region.box.y1));
  for (let i = y0; i < y1; i++) {
    for (let j = x0; j < x1; j++) {
      let hits = 0;
      for (let a = 0; a < SUB; a++) {
        const y = i + (a + 0.5) / SUB;
        for (let b = 0; b < SUB; b++) {
          if (region.contains(j + (b + 0.5) / SUB, y)) hits++;
        }
      }
      out[i * size + j] = hits / (SUB * SUB);
    }
  }
  return out;
}

export function disc(cx: number, cy: number, radius: number): Region {
  const r2 = radius * radius;
  return {
    contains: (x, y) => (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r2,
    box: { x0: cx - radius, y0: cy - radius, x1: cx + radius, y1: cy + radius },
  };
}

/** A simple polygon (convex or not), by the even–odd rule. */
export function polygon(vertices: readonly Point[]): Region {
  const xs = vertices.map((v) => v[0]);
  const ys = vertices.map((v) => v[1]);
  return {
    contains: (x, y) => {
      let inside = false;
      for (let k = 0, prev = vertices.length - 1; k < vertices.length; prev = k++) {
        const [xa, ya] = vertices[k];
        const [xb, yb] = vertices[prev];
        if (ya > y !== yb > y && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
      }
      return inside;
    },
    box: { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) },
  };
}

/** A line segment with round caps, `width` pixels thick. */
export function stroke(from: Point, to: Point, width: number): Region {
  const [ax, ay] = from;
  const dx = to[0] - ax;
  const dy = to[1] - ay;
  const length2 = dx * dx + dy * dy || 1;
  const half = width / 2;
  const half2 = half * half;
  return {
    contains: (x, y) => {
      const t = Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / length2));
      const ex = x - (ax + t * dx);
      const ey = y - (ay + t * dy);
      return ex * ex + ey * ey <= half2;
    },
    box: {
      x0: Math.min(ax, to[0]) - half,
      y0: Math.min(ay, to[1]) - half,
      x1: Math.max(ax, to[0]) + half,
      y1: Math.max(ay, to[1]) + half,
    },
  };
}

/** Blends `colour` over an interleaved RGB float image with per-pixel opacity `alpha`. */
export function paint(rgb: Float32Array, alpha: Float32Array, colour: readonly number[]): void {
  for (let p = 0; p < alpha.length; p++) {
    const a = alpha[p];
    if (a === 0) continue;
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] += (colour[c] - rgb[p * 3 + c]) * a;
  }
}
