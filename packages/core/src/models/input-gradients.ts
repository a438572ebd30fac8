import * as tf from '@tensorflow/tfjs-core';
import { checkBackwardRule, type InputGradientOptions, type InputSpec } from '../classifier.js';
import { XaiError } from '../errors.js';
import { ensureGradients } from '../backend/register-gradients.js';
import { withGuidedRelu } from '../backend/guided-relu.js';
import { withoutWeightGradients } from '../backend/no-weight-gradients.js';
import { OutOfMemoryError, gradientMemoryBudget, watchMemory } from '../backend/memory.js';

/** What an adapter hands `inputGradientsOf`: its input, class count, fixed batch and a differentiable forward pass. */
export interface InputGradientModel {
  readonly input: InputSpec;
  readonly numClasses: number;
  /** The batch size every forward pass must have (a model exported with a fixed batch), if any. */
  readonly fixedBatch?: number;
  /** Raw logits `[rows, numClasses]` of a preprocessed NHWC batch, built from tfjs ops (so `tf.grad` sees them). */
  logits(batch: tf.Tensor4D): tf.Tensor2D;
}

/**
 * The class of every row of a batch of `rows`: one class for all, or one per row. Throws an
 * `XaiError` for a class outside `0 … numClasses − 1` or a list of the wrong length.
 */
export function classesPerRow(classes: number | readonly number[], rows: number, numClasses: number): number[] {
  const list = typeof classes === 'number' ? Array.from({ length: rows }, () => classes) : [...classes];
  if (typeof classes !== 'number' && list.length !== rows) {
    throw new XaiError(`inputGradients got ${list.length} classes for a batch of ${rows} images; give one class, or one per image`);
  }
  for (const c of list) {
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new XaiError(`class index ${c} is out of range: the model has ${numClasses} classes (0–${numClasses - 1})`);
    }
  }
  return list;
}

/**
 * `∂ logits[b, classes[b]] / ∂ batch[b]` for every row `b` of a preprocessed NHWC batch, as
 * `[B, H, W, C]`: the gradient of the sum of the selected logits over a chunk of rows, one
 * `tf.grad` per chunk. With the rule `guided`, every ReLU's backward is Guided Backprop's (see
 * `withGuidedRelu` for what counts as a ReLU). The caller owns the result.
 *
 * Chunks: with a fixed batch, one per batch of that size, the last padded with zero images whose
 * rows select no logit and are dropped. Otherwise the whole batch, unless the backend has a memory
 * budget for gradients (`gradientMemoryBudget`: wasm, whose heap stops at 4 GiB): then a first
 * chunk of one row measures what a row costs, and the others take as many rows as the budget
 * holds; a chunk that still runs out of memory (`OutOfMemoryError`) is run again in halves. Every
 * row's gradient is the same whatever the chunks (rows do not interact).
 */
export async function inputGradientsOf(
  model: InputGradientModel,
  batch: tf.Tensor4D,
  classes: number | readonly number[],
  options: InputGradientOptions = {},
): Promise<tf.Tensor4D> {
  const { height, width, channels } = model.input;
  const s = batch.shape;
  if (batch.rank !== 4 || s[1] !== height || s[2] !== width || s[3] !== channels) {
    throw new XaiError(`inputGradients takes preprocessed NHWC input [B, ${height}, ${width}, ${channels}], got [${s.join(', ')}]`);
  }
  if (batch.dtype !== 'float32') throw new XaiError(`inputGradients takes float32 input, got ${batch.dtype}`);
  const rows = classesPerRow(classes, s[0], model.numClasses);
  await ensureGradients();
  if (s[0] === 0) return tf.zeros(s) as tf.Tensor4D;
  const k = model.numClasses;
  const total = s[0];

  /** The gradients of rows `start … start + n − 1`, run as a batch of `unit ≥ n` rows. */
  const chunkGradient = (start: number, n: number, unit: number): tf.Tensor4D =>
    tf.tidy(() => {
      let chunk = n === total ? batch : (tf.slice(batch, [start, 0, 0, 0], [n, height, width, channels]) as tf.Tensor4D);
      if (n < unit) chunk = tf.concat([chunk, tf.zeros([unit - n, height, width, channels])]) as tf.Tensor4D;
      // Row r selects the logit of its class; padded rows select none.
      const mask = new Float32Array(unit * k);
      for (let r = 0; r < n; r++) mask[r * k + rows[start + r]] = 1;
      const selected = tf.tensor2d(mask, [unit, k]);
      const sumOfSelected = (x: tf.Tensor) => {
        const logits = model.logits(x as tf.Tensor4D);
        if (logits.rank !== 2 || logits.shape[0] !== unit || logits.shape[1] !== k) {
          throw new XaiError(`the model gave logits [${logits.shape.join(', ')}] for a batch of ${unit}; expected [${unit}, ${k}]`);
        }
        return tf.sum(tf.mul(logits, selected));
      };
      const gradient = gradOrCleanUp(sumOfSelected, chunk) as tf.Tensor4D;
      return n < unit ? (tf.slice(gradient, [0, 0, 0, 0], [n, height, width, channels]) as tf.Tensor4D) : gradient;
    });
  const rule = checkBackwardRule(options.rule);
  const withRules = <T>(run: () => T): T => withoutWeightGradients(() => (rule === 'guided' ? withGuidedRelu(run) : run()));

  const parts: tf.Tensor4D[] = [];
  try {
    if (model.fixedBatch) {
      // The model takes batches of one size only: nothing to split.
      const unit = model.fixedBatch;
      for (let start = 0; start < total; start += unit) {
        try {
          parts.push(watchMemory(() => withRules(() => chunkGradient(start, Math.min(unit, total - start), unit))).value);
        } catch (error) {
          if (error instanceof OutOfMemoryError) throw tooLargeForMemory(model, error, unit);
          throw error;
        }
      }
    } else {
      const budget = gradientMemoryBudget();
      // Unknown cost per row: a first chunk of one row measures it (when the batch is larger).
      let size = budget === undefined ? total : 1;
      let measured = budget === undefined;
      for (let start = 0; start < total; ) {
        const n = Math.min(size, total - start);
        let result: { value: tf.Tensor4D; peakBytes: number };
        try {
          result = watchMemory(() => withRules(() => chunkGradient(start, n, n)));
        } catch (error) {
          if (!(error instanceof OutOfMemoryError)) throw error;
          if (n === 1) throw tooLargeForMemory(model, error);
          size = Math.ceil(n / 2);
          measured = true;
          continue;
        }
        parts.push(result.value);
        start += n;
        if (!measured && budget !== undefined) {
          size = Math.max(1, Math.floor(budget / Math.max(1, result.peakBytes / n)));
          measured = true;
        }
      }
    }
    if (parts.length === 1) return parts.pop()!;
    return tf.concat(parts) as tf.Tensor4D;
  } finally {
    tf.dispose(parts);
  }
}

/** What to say when the smallest chunk there can be (one image, or the model's fixed batch) does not fit. */
function tooLargeForMemory(model: InputGradientModel, error: OutOfMemoryError, fixedBatch?: number): XaiError {
  const { height, width, channels } = model.input;
  const what = fixedBatch ? `a batch of ${fixedBatch} ${height}×${width}×${channels} images (the model's fixed batch size)` : `one ${height}×${width}×${channels} image`;
  return new XaiError(
    `the input gradient of ${what} does not fit in the memory of the ${error.backend} backend ` +
      `(${error.message}); use a backend with more memory (cpu, tfjs-node)${fixedBatch ? ', a model exported with a dynamic batch' : ''} or a smaller input size`,
    { cause: error },
  );
}

/**
 * `tf.grad(f)(x)`, and when it throws (in the forward pass or the backward one), the tensors
 * tfjs saved for the backward pass are disposed: tfjs-core keeps them out of every tidy and frees
 * them only at the end of a backward pass that completes.
 */
function gradOrCleanUp(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): tf.Tensor {
  try {
    return tf.grad(f)(x);
  } catch (error) {
    const state = tf.engine().state as unknown as { gradientDepth: number; activeTape: { saved?: tf.Tensor[] }[] | null };
    if (state.gradientDepth === 0 && state.activeTape) {
      for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
      state.activeTape = null;
    }
    throw error;
  }
}
