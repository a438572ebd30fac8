import { XaiError } from '@xai/core';

/** murmur3's 32-bit finaliser: a bijection that spreads every input bit over the output. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The seed of sample `index` of data set `seed`. Each sample has its own generator, so sample i
 * is the same however many samples are drawn and in whatever order.
 */
export function sampleSeed(seed: number, index: number): number {
  return mix32(mix32(seed ^ 0x5bd1e995) ^ Math.imul(index + 1, 0x9e3779b1));
}

export function checkUint32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new XaiError(`${what} must be an integer from 0 to 4294967295, got ${value}`);
  }
}
