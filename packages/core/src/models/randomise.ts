import { XaiError, listForMessage } from '../errors.js';
import { Random } from '../random.js';

/**
 * The re-initialisation of the sanity checks (model parameter randomisation): every value of a
 * weight tensor moves to a seeded random place (a Fisher–Yates shuffle of all its entries).
 * The learned arrangement is destroyed while the values' distribution — and so the scale of
 * every activation, and the positivity of a batch norm's variance — is kept, whatever the
 * tensor's layout, so every model kind re-initialises the same way. The permutation depends only
 * on the seed, the layer's name and the tensor's place among the layer's weights, so a layer
 * randomised at one step of a cascade has the same weights at every later step.
 */
export function shuffledWeights(values: Float32Array, seed: number, layer: string, tensorIndex: number): Float32Array {
  const random = new Random(weightSeed(seed, `${layer}#${tensorIndex}`));
  const out = Float32Array.from(values);
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.integer(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** The seed of one tensor's shuffle: the user's seed mixed with an FNV-1a hash of its key. */
function weightSeed(seed: number, key: string): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new XaiError(`A seed must be an integer from 0 to 4294967295, got ${seed}`);
  }
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return (Math.imul(seed, 0x9e3779b1) ^ hash) >>> 0;
}

/** Refuses layer names that are not among the model's weighted layers, before any copy is made. */
export function checkParameterLayers(names: readonly string[], known: readonly string[]): void {
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length === 0) return;
  throw new XaiError(
    `Cannot re-initialise ${unknown.map((n) => `"${n}"`).join(', ')}: not a layer with weights; the layers with weights are ${listForMessage(known)}`,
  );
}
