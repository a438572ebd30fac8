/** Deterministic test values (a small LCG), so tests need no seeded-RNG package. */
export function randomValues(count: number, seed: number, low = -1, high = 1): Float32Array {
  let state = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = low + ((high - low) * state) / 2 ** 32;
  }
  return out;
}
