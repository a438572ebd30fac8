import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNpy, type NpyArray } from '@xai/core';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** A `.npy` file under packages/rise/test/fixtures. */
export function readRiseFixture(...parts: string[]): NpyArray {
  const path = join(fixtures, ...parts);
  return parseNpy(new Uint8Array(readFileSync(path)), path);
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}
