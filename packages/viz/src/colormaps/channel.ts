/** A colour channel as a function of t ∈ [0, 1], with values in [0, 1] (may overshoot; clamped later). */
export type Channel = (t: number) => number;

/** Piecewise-linear channel through `[t, value]` knots sorted by t (first at 0, last at 1). */
export function piecewiseLinear(knots: ReadonlyArray<readonly [number, number]>): Channel {
  // Flat arrays: this runs once per pixel, and destructuring tuples in the loop is slow.
  const ts = Float64Array.from(knots, (k) => k[0]);
  const vs = Float64Array.from(knots, (k) => k[1]);
  const last = knots.length - 1;
  return (t) => {
    for (let i = 1; i <= last; i++) {
      if (t <= ts[i]) {
        const span = ts[i] - ts[i - 1];
        return span === 0 ? vs[i] : vs[i - 1] + ((t - ts[i - 1]) / span) * (vs[i] - vs[i - 1]);
      }
    }
    return vs[last];
  };
}

/** Polynomial channel `c0 + c1·t + c2·t² + …`, evaluated by Horner's rule. */
export function polynomial(coefficients: readonly number[]): Channel {
  return (t) => {
    let value = 0;
    for (let i = coefficients.length - 1; i >= 0; i--) value = value * t + coefficients[i];
    return value;
  };
}
