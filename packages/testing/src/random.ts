import { Random } from '@xai/core';

/**
 * `count` values uniform in [low, high) from core's seeded `Random` (NumPy's `RandomState(seed)`:
 * `low + (high − low) · random_sample()`), as float32: deterministic test data on every platform.
 */
export function uniformArray(count: number, seed: number, low = -1, high = 1): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: count }, () => low + (high - low) * random.uniform());
}

/** `count` standard normal values (NumPy's `standard_normal`) from core's seeded `Random`, as float32. */
export function normalArray(count: number, seed: number, mean = 0, sd = 1): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: count }, () => mean + sd * random.normal());
}
