import { piecewiseLinear, type Channel } from './channel.js';

/*
 * Coolwarm, Kenneth Moreland's diverging map ("Diverging Color Maps for Scientific Visualization",
 * 2009): blue (59, 76, 192) through a neutral grey (221, 221, 221) at the middle to red
 * (180, 4, 38), sampled at nine points of its published table and joined linearly. For signed
 * values with the middle at 0: negative blue, positive red.
 */
const KNOTS: ReadonlyArray<readonly [number, number, number, number]> = [
  [0, 59, 76, 192],
  [0.125, 98, 130, 234],
  [0.25, 141, 176, 254],
  [0.375, 184, 208, 249],
  [0.5, 221, 221, 221],
  [0.625, 245, 196, 173],
  [0.75, 244, 154, 123],
  [0.875, 222, 96, 77],
  [1, 180, 4, 38],
];

const channel = (c: 1 | 2 | 3): Channel => piecewiseLinear(KNOTS.map((k) => [k[0], k[c] / 255] as const));

export const coolwarm = [channel(1), channel(2), channel(3)] as const;
