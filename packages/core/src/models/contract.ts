import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '../errors.js';

/** An output's dims as declared or measured: a size, or a name / null / undefined / −1 for a dynamic axis. */
export type OutputDims = readonly (number | string | null | undefined)[];

export interface OutputWhere {
  /** The model, for the message: a path in quotes, or "the model". */
  model: string;
  /** The output's name. */
  output: string;
  /** The batch the dims were measured at; their first axis must then be this size. */
  batch?: number;
}

/** What every adapter accepts, in its error message. */
export const CLASSIFIER_OUTPUT = "a classifier's output must be [batch, classes], or [batch, classes, 1, 1] (axes of size 1 after the batch are dropped)";

const known = (d: OutputDims[number]): d is number => typeof d === 'number' && d >= 0;

/** `[batch, 4, 32, 32]`: sizes as they are, dynamic axes by name or `?`. */
export function formatDims(dims: OutputDims): string {
  return `[${dims.map((d) => (known(d) ? String(d) : typeof d === 'string' && d ? d : '?')).join(', ')}]`;
}

/**
 * Checks that `dims` are a classifier's output — `[batch, K]`, or `[batch, K]` with extra axes of
 * size 1 — and returns K, or undefined when K is not known from these dims (a dynamic axis: measure
 * the output). Anything else throws an `XaiError` naming the output, the shape and what is accepted.
 */
export function classifierOutputClasses(dims: OutputDims, where: OutputWhere): number | undefined {
  const refuse = (why?: string) =>
    new XaiError(`${where.model}: the output "${where.output}" has shape ${formatDims(dims)}; ${CLASSIFIER_OUTPUT}${why ? `. ${why}` : ''}`);
  const notBatch = where.batch !== undefined && known(dims[0]) && dims[0] !== where.batch;
  if (dims.length === 0) throw refuse('This is a scalar');
  if (dims.length === 1) {
    throw refuse(notBatch ? `It has no batch axis (the batch is ${where.batch})` : 'This is one value per image, not one logit per class');
  }
  if (notBatch) throw refuse(`Its first axis should be the batch, ${where.batch} here`);
  const rest = dims.slice(1);
  const large = rest.filter((d) => !known(d) || d !== 1);
  if (rest.some((d) => known(d) && d === 0)) throw refuse('It has an axis of size 0');
  if (large.length > 1) {
    // Two axes that are (or may be) larger than one: per-pixel or per-box scores, not per-class.
    if (large.filter(known).length >= 2) {
      throw refuse("This looks like a per-pixel or per-box output (segmentation, detection), not an image classifier's");
    }
    return undefined;
  }
  if (large.length === 0) return 1;
  return known(large[0]) ? large[0] : undefined;
}

/**
 * Runs `run` on batches of exactly `size` rows (for a model exported with a fixed batch size) and
 * concatenates what it gives for the real rows: `x` is cut into batches of `size` along its first
 * axis, the last one padded with zeros, and the padded rows of each result are dropped. Every
 * tensor made on the way is disposed; the caller owns the result (and still owns `x`).
 */
export function inFixedBatches<T extends tf.Tensor>(x: tf.Tensor, size: number, run: (batch: tf.Tensor) => T): T {
  return tf.tidy(() => {
    const total = x.shape[0];
    if (total === size) return run(x);
    const parts: tf.Tensor[] = [];
    // An empty batch still runs once (padded), for the shape of the result.
    for (let start = 0; start < Math.max(total, 1); start += size) {
      const rows = Math.min(size, total - start);
      const begin = x.shape.map((_, i) => (i === 0 ? start : 0));
      let chunk = tf.slice(x, begin, [rows, ...x.shape.slice(1)]);
      if (rows < size) chunk = tf.concat([chunk, tf.zeros([size - rows, ...x.shape.slice(1)], x.dtype)]);
      const out = run(chunk);
      parts.push(rows < size ? tf.slice(out, out.shape.map(() => 0), [rows, ...out.shape.slice(1)]) : out);
    }
    return (parts.length === 1 ? parts[0] : tf.concat(parts)) as T;
  });
}
