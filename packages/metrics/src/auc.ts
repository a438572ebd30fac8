import { XaiError } from '@xai/core';

/**
 * Area under a curve of n+1 equally spaced points on [0, 1], by the trapezoid rule:
 * `(Σ p_i − p_0/2 − p_n/2) / n`.
 */
export function trapezoidAuc(curve: ArrayLike<number>): number {
  const n = curve.length - 1;
  if (n < 1) throw new XaiError(`An AUC needs a curve of at least 2 points, got ${curve.length}`);
  let sum = 0;
  for (let i = 0; i < curve.length; i++) sum += curve[i];
  return (sum - curve[0] / 2 - curve[n] / 2) / n;
}

/** The point-by-point mean of equal-length curves. */
export function meanCurve(curves: readonly ArrayLike<number>[]): number[] {
  if (curves.length === 0) throw new XaiError('A mean curve needs at least one curve');
  const length = curves[0].length;
  const sum = new Float64Array(length);
  for (const curve of curves) {
    if (curve.length !== length) {
      throw new XaiError(`Curves to average must have equal length; got ${length} and ${curve.length} points`);
    }
    for (let i = 0; i < length; i++) sum[i] += curve[i];
  }
  return Array.from(sum, (s) => s / curves.length);
}
