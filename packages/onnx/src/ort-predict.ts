import * as tf from '@tensorflow/tfjs-core';
import { XaiError, checkHostBatch, readValues, type InputSpec } from '@xai/core';
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

/**
 * `predict` and `predictValues` on onnxruntime, the one path both ONNX classifiers (white- and
 * black-box) take: the NHWC batch in the model's layout, on the host, through the runner.
 */
export class OrtPredictor {
  private disposed = false;

  constructor(
    readonly runner: OrtRunner,
    private readonly model: () => OrtModel,
  ) {}

  get engine(): string {
    return this.runner.engine;
  }

  async predict(batch: tf.Tensor4D): Promise<tf.Tensor2D> {
    const model = this.model();
    const laidOut = model.input.layout === 'NCHW' ? tf.transpose(batch, TO_NCHW) : batch;
    const values = await readValues(laidOut);
    if (laidOut !== batch) laidOut.dispose();
    // On the cpu backend an NHWC batch's values are the tensor's own storage: never handed over.
    return logitsTensor(await runOrtRows(this.runner, values, batch.shape[0], model, laidOut !== batch), batch.shape[0], model);
  }

  /** Host values already in the model's layout, which the runner may take over. */
  async predictValues(values: Float32Array, rows: number): Promise<tf.Tensor2D> {
    if (this.disposed) throw new XaiError('the model has been disposed');
    const model = this.model();
    checkHostBatch(model.input, values, rows);
    return logitsTensor(await runOrtRows(this.runner, values, rows, model, true), rows, model);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.runner.dispose();
  }
}

function logitsTensor(logits: Float32Array, rows: number, model: OrtModel): tf.Tensor2D {
  return tf.tensor2d(logits, [rows, model.numClasses]);
}
