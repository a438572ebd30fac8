import * as tf from '@tensorflow/tfjs-core';
import type { Classifier, InputSpec, Layout } from './classifier.js';
import { XaiError } from './errors.js';

/**
 * The layout a method should make its host batches in for `model`: the model's own when it takes
 * host values (`predictValues`), so they go to the engine as made; NHWC otherwise.
 */
export function hostBatchLayout(model: Classifier): Layout {
  return model.predictValues ? model.input.layout : 'NHWC';
}

/**
 * Logits `[rows, numClasses]` of `rows` images a method made on the host, laid out as `layout`
 * (NHWC, or what `hostBatchLayout` says): through `predictValues` when the model has it (the
 * values are then the model's), else through `predict` on an NHWC tensor. The caller owns the result.
 */
export async function predictHost(model: Classifier, values: Float32Array, rows: number, layout: Layout = 'NHWC'): Promise<tf.Tensor2D> {
  const { height, width, channels } = model.input;
  if (model.predictValues) {
    return model.predictValues(layout === model.input.layout ? values : relaid(values, rows, model.input, layout), rows);
  }
  const batch = tf.tensor4d(layout === 'NHWC' ? values : relaid(values, rows, model.input, layout), [rows, height, width, channels]);
  try {
    return await model.predict(batch);
  } finally {
    batch.dispose();
  }
}

/** `values` (`rows` images of `input`'s size laid out as `from`) in the other layout. */
export function relaid(values: Float32Array, rows: number, input: Omit<InputSpec, 'layout'>, from: Layout): Float32Array {
  const pixels = input.height * input.width;
  const channels = input.channels;
  const out = new Float32Array(values.length);
  for (let b = 0; b < rows; b++) {
    const base = b * pixels * channels;
    for (let c = 0; c < channels; c++) {
      const plane = base + c * pixels;
      if (from === 'NHWC') for (let p = 0; p < pixels; p++) out[plane + p] = values[base + p * channels + c];
      else for (let p = 0; p < pixels; p++) out[base + p * channels + c] = values[plane + p];
    }
  }
  return out;
}

/** `predictValues`' input: `rows` whole images of float32 values in `input`'s layout. */
export function checkHostBatch(input: InputSpec, values: Float32Array, rows: number): void {
  const { height, width, channels, layout } = input;
  const perImage = height * width * channels;
  const shape = (layout === 'NCHW' ? [rows, channels, height, width] : [rows, height, width, channels]).join(', ');
  if (!(values instanceof Float32Array)) throw new XaiError(`predictValues takes a Float32Array of [${shape}] values (${layout}), got ${Object.prototype.toString.call(values)}`);
  if (!Number.isInteger(rows) || rows < 0 || values.length !== rows * perImage) {
    throw new XaiError(`predictValues takes ${rows} × ${perImage} values for [${shape}] (${layout}), got ${values.length}`);
  }
}

/**
 * `x ⊙ M` for each mask (`image` `[1, H, W, C]`, `masks` `[n, H, W, 1]`, broadcast over the
 * colours), laid out as `hostBatchLayout(model)` says: NHWC, or `[n, C, H, W]`. Score it with
 * `predictMasked`.
 */
export function maskedBatch(model: Classifier, image: tf.Tensor4D, masks: tf.Tensor4D): tf.Tensor4D {
  if (hostBatchLayout(model) === 'NHWC') return tf.mul(image, masks);
  return tf.tidy(() => {
    const [n, height, width] = masks.shape;
    return tf.mul(tf.transpose(image, [0, 3, 1, 2]), tf.reshape(masks, [n, 1, height, width]));
  });
}

/** The logits of a batch `maskedBatch` made. The caller owns the result. */
export async function predictMasked(model: Classifier, batch: tf.Tensor4D): Promise<tf.Tensor2D> {
  if (!model.predictValues) return model.predict(batch);
  // The values are a copy on every backend but cpu, whose storage `predictValues` must not take.
  const values = await readValues(batch);
  return predictHost(model, tf.getBackend() === 'cpu' ? values.slice() : values, batch.shape[0], hostBatchLayout(model));
}

/**
 * A tensor's values, read synchronously on the CPU backends, where they are already on the host:
 * a caller's pending work (the next batch, in a pipelined method) then cannot come between the
 * read and the engine's pass.
 */
export async function readValues(t: tf.Tensor): Promise<Float32Array> {
  const backend = tf.getBackend();
  return (backend === 'wasm' || backend === 'cpu' ? t.dataSync() : await t.data()) as Float32Array;
}

/**
 * `predictHost`, read back: the logits, or with `softmax` the probabilities, as host values,
 * `[rows, numClasses]` row-major, with no tensor left behind.
 */
export async function predictHostValues(
  model: Classifier,
  values: Float32Array,
  rows: number,
  options: { layout?: Layout; softmax?: boolean } = {},
): Promise<Float32Array> {
  const logits = await predictHost(model, values, rows, options.layout);
  const out = options.softmax ? tf.softmax(logits) : logits;
  try {
    return (await out.data()) as Float32Array;
  } finally {
    tf.dispose([logits, out]);
  }
}
