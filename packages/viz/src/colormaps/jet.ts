import { piecewiseLinear } from './channel.js';

/**
 * Jet (MATLAB's, and matplotlib's `jet`), the reference notebooks' colour map: dark blue → blue →
 * cyan → yellow → red → dark red. It is piecewise linear by definition; these are its knots.
 */
export const jet = [
  piecewiseLinear([[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]]),
  piecewiseLinear([[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]]),
  piecewiseLinear([[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]]),
] as const;
