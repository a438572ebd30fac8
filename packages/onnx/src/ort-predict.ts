import * as tf from '@tensorflow/tfjs-core';
import { readValues, type InputSpec } from '@xai/core';
import { TO_NCHW } from './ops/context.js';
import { runOrtRows, type OrtRunner } from './ort.js';

/** What onnxruntime's side of a classifier needs to know of the model. */
export interface OrtModel {
  /** The model's fixed batch, if it has one. */
  unit?: number;
  numClasses: number;
  outputName: string;
  input: InputSpec;
}

/** `predict` on onnxruntime: the NHWC batch, in the model's layout, on the host, through the runner. */
export async function predictOnOrt(ort: OrtRunner, batch: tf.Tensor4D, model: OrtModel): Promise<tf.Tensor2D> {
  const laidOut = model.input.layout === 'NCHW' ? tf.transpose(batch, TO_NCHW) : batch;
  const values = await readValues(laidOut);
  if (laidOut !== batch) laidOut.dispose();
  // On the cpu backend an NHWC batch's values are the tensor's own storage: never handed over.
  return logitsTensor(await runOrtRows(ort, values, batch.shape[0], model, laidOut !== batch), batch.shape[0], model);
}

/** `predictValues` on onnxruntime: host values already in the model's layout, which the runner may take over. */
export async function predictValuesOnOrt(ort: OrtRunner, values: Float32Array, rows: number, model: OrtModel): Promise<tf.Tensor2D> {
  return logitsTensor(await runOrtRows(ort, values, rows, model, true), rows, model);
}

function logitsTensor(logits: Float32Array, rows: number, model: OrtModel): tf.Tensor2D {
  return tf.tensor2d(logits, [rows, model.numClasses]);
}

