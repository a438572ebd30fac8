import type { Prediction } from '../protocol.js';

/** Softmax of one row of logits, computed stably in float64. */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const exps = Array.from({ length: logits.length }, (_, i) => Math.exp(logits[i] - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** The k most probable classes, most probable first; ties go to the lower index. */
export function topClasses(logits: ArrayLike<number>, k: number, classNames?: readonly string[]): Prediction[] {
  const probabilities = softmax(logits);
  return probabilities
    .map((probability, classIndex) => ({ classIndex, probability }))
    .sort((a, b) => b.probability - a.probability || a.classIndex - b.classIndex)
    .slice(0, k)
    .map((p) => ({ ...p, className: classNames?.[p.classIndex] }));
}
