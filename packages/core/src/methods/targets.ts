import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../classifier.js';
import { XaiError, listForMessage } from '../errors.js';

/** A class: its index, or one of the model's class names. */
export type Target = number | string;

/**
 * Which classes to explain: the top class of the intact image (default), the top k, one class,
 * a list, or every class.
 */
export type Targets = 'top' | { top: number } | Target | readonly Target[] | 'all';

export interface ResolvedTarget {
  index: number;
  name?: string;
  /** `top` when the class was the model's prediction rather than the caller's choice. */
  chosenBy: 'top' | 'caller';
}

/**
 * Resolves targets to class indices, checking names and indices against the model. The top
 * classes need one forward pass; everything else is checked without one.
 */
export async function resolveTargets(model: Classifier, image: tf.Tensor4D, targets: Targets = 'top'): Promise<ResolvedTarget[]> {
  const named = namedTargets(model, targets);
  if (named) return named;
  const count = targets === 'top' ? 1 : (targets as { top: number }).top;
  return (await topClasses(model, image, count)).map((index) => ({ index, name: model.classNames?.[index], chosenBy: 'top' as const }));
}

/**
 * The targets that need no forward pass, checked (so bad input is found before any work), or
 * undefined for `top` / `{ top: k }`.
 */
export function namedTargets(model: Classifier, targets: Targets): ResolvedTarget[] | undefined {
  const k = model.numClasses;
  const make = (index: number): ResolvedTarget => ({ index, name: model.classNames?.[index], chosenBy: 'caller' });
  if (targets === 'top') return undefined;
  if (targets === 'all') return Array.from({ length: k }, (_, i) => make(i));
  if (typeof targets === 'number' || typeof targets === 'string') return [make(classIndex(model, targets))];
  if (Array.isArray(targets)) {
    if (targets.length === 0) throw new XaiError('targets: the list of classes is empty; give at least one class');
    const indices = targets.map((t: Target) => classIndex(model, t));
    return [...new Set(indices)].map(make);
  }
  if (typeof targets === 'object' && targets !== null && 'top' in targets) {
    const top = targets.top;
    if (!Number.isInteger(top) || top < 1 || top > k) {
      throw new XaiError(`targets: top must be a whole number from 1 to ${k} (the model's classes), got ${top}`);
    }
    return undefined;
  }
  throw new XaiError(
    `targets: unsupported value ${JSON.stringify(targets)}; accepted: 'top', { top: k }, a class index or name, a list of them, 'all'`,
  );
}

/**
 * Targets from text, as a command line or a form gives them: `top`, `top3`, `all`, `281`,
 * `tabby`, or a comma-separated list of indices and names.
 */
export function parseTargets(text: string): Targets {
  const value = text.trim();
  if (value === '' || value === 'top') return 'top';
  if (value === 'all') return 'all';
  const top = /^top(\d+)$/.exec(value);
  if (top) return { top: Number(top[1]) };
  const items = value.split(',').map((s) => s.trim()).filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  return items.length === 1 ? items[0] : items;
}

/** A class index or name → the index, or an error saying what the model accepts. */
export function classIndex(model: Classifier, target: Target): number {
  const k = model.numClasses;
  if (typeof target === 'string') {
    const index = model.classNames?.indexOf(target) ?? -1;
    if (index >= 0) return index;
    const known = model.classNames?.length
      ? `one of: ${listForMessage(model.classNames.map((n) => `"${n}"`))}`
      : 'none: the model has no class names, so give an index';
    throw new XaiError(`Unknown class name "${target}"; class names accepted: ${known}`);
  }
  if (!Number.isInteger(target) || target < 0 || target >= k) {
    throw new XaiError(`Class index ${target} is out of range; the model has ${k} classes (0 … ${k - 1})`);
  }
  return target;
}

/** The `count` highest-scoring classes of one image, best first (ties: lower index first). */
export async function topClasses(model: Classifier, image: tf.Tensor4D, count = 1): Promise<number[]> {
  const logits = await model.predict(image);
  try {
    const values = await logits.data();
    const order = Array.from(values.keys()).sort((a, b) => values[b] - values[a] || a - b);
    return order.slice(0, count);
  } finally {
    logits.dispose();
  }
}
