import * as tf from '@tensorflow/tfjs-core';
import type { Classifier, Layout } from '@xai/core';

/** What a `withHostValues` model was handed: how many batches came through each path. */
export interface HostValueCalls {
  predict: number;
  predictValues: number;
}

/**
 * `model` as if its engine took host values in `layout` (as an ONNX model on onnxruntime does):
 * it gains `predictValues`, which turns the values back into an NHWC tensor for the model's own
 * `predict`, and its `input.layout` says `layout`. A method that uses the host path must then give
 * exactly what it gives through `predict`; `calls` shows which path each batch took.
 */
export function withHostValues<T extends Classifier>(model: T, layout: Layout): { model: T; calls: HostValueCalls } {
  const calls: HostValueCalls = { predict: 0, predictValues: 0 };
  const { height, width, channels } = model.input;
  const input = { ...model.input, layout };
  const predictValues = async (values: Float32Array, rows: number): Promise<tf.Tensor2D> => {
    calls.predictValues++;
    if (values.length !== rows * height * width * channels) throw new Error(`predictValues: ${values.length} values for ${rows} images`);
    const batch = tf.tidy(() => {
      const copy = values.slice();
      const given = layout === 'NCHW' ? tf.tensor4d(copy, [rows, channels, height, width]) : tf.tensor4d(copy, [rows, height, width, channels]);
      return layout === 'NCHW' ? (tf.transpose(given, [0, 2, 3, 1]) as tf.Tensor4D) : given;
    });
    // As onnxruntime's thread does: the values are taken over, so a caller that used them after the call would see them gone.
    if (values.byteOffset === 0 && values.byteLength === values.buffer.byteLength) structuredClone(values.buffer, { transfer: [values.buffer as ArrayBuffer] });
    try {
      return await model.predict(batch);
    } finally {
      batch.dispose();
    }
  };
  const predict = (batch: tf.Tensor4D) => {
    calls.predict++;
    return model.predict(batch);
  };
  const wrapped = new Proxy(model, {
    get(target, property) {
      if (property === 'input') return input;
      if (property === 'predictValues') return predictValues;
      if (property === 'predict') return predict;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { model: wrapped, calls };
}
