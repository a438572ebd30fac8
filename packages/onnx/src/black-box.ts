import * as tf from '@tensorflow/tfjs-core';
import { XaiError, classifierOutputClasses, resolvePreprocessing, type Classifier, type InputSpec, type Preprocessing } from '@xai/core';
import type { OnnxModelOptions, OnnxSource } from './options.js';
import type { UnsupportedOperatorsError } from './graph.js';
import { checkImageBatch, chooseOutput, inputSpec, modelShape } from './interface.js';
import { createOrtRunner, type OrtRunner } from './ort.js';
import { OrtPredictor } from './ort-predict.js';

/**
 * An ONNX classifier that onnxruntime runs but the tfjs graph cannot (it uses operators the graph
 * does not implement): predictions only. Every black-box method and metric works on it; layer
 * methods and gradients do not, and `whiteBoxUnavailable` says why.
 */
export class OnnxBlackBoxClassifier implements Classifier {
  readonly input: InputSpec;
  readonly numClasses: number;
  readonly classNames?: readonly string[];
  readonly preprocessing: Preprocessing;
  readonly inputName: string;
  readonly outputName: string;
  readonly fixedBatch?: number;
  /** The operator types the tfjs graph lacks for this model. */
  readonly missingOperators: readonly string[];
  /** Why this model gives no layers or gradients, for messages. */
  readonly whiteBoxUnavailable: string;
  private readonly predictor: OrtPredictor;
  private disposed = false;

  private constructor(fields: {
    input: InputSpec; numClasses: number; classNames?: readonly string[]; preprocessing: Preprocessing; inputName: string;
    outputName: string; fixedBatch?: number; missingOperators: readonly string[]; ort: OrtRunner;
  }) {
    this.input = fields.input;
    this.numClasses = fields.numClasses;
    if (fields.classNames) this.classNames = [...fields.classNames];
    this.preprocessing = fields.preprocessing;
    this.inputName = fields.inputName;
    this.outputName = fields.outputName;
    this.fixedBatch = fields.fixedBatch;
    this.missingOperators = fields.missingOperators;
    this.predictor = new OrtPredictor(fields.ort, () => ({ unit: this.fixedBatch, numClasses: this.numClasses, outputName: this.outputName, input: this.input }));
    this.whiteBoxUnavailable = `the tfjs graph does not implement the operator${fields.missingOperators.length > 1 ? 's' : ''} ${fields.missingOperators.join(', ')}, so this model runs on onnxruntime as a black box (predictions only)`;
  }

  /** Loads the model on onnxruntime after the tfjs graph refused it with `refusal`. */
  static async create(source: OnnxSource, options: OnnxModelOptions, refusal: UnsupportedOperatorsError): Promise<OnnxBlackBoxClassifier> {
    const why = `${source.name}: ${refusal.message}`;
    if (options.engine === 'tfjs') throw new XaiError(`${why}. engine "tfjs" was asked for; with onnxruntime installed, engine "auto" runs it as a black box`);
    const input = inputSpec(refusal.input, options.inputSize, source.name);
    const output = chooseOutput(refusal.outputs, options.output, source.name);
    const batch = refusal.input.dims?.[0];
    const fixedBatch = typeof batch === 'number' && batch > 0 ? batch : undefined;
    const found = await (source.openOrt ?? createOrtRunner)(source.ortModel ?? source.bytes, refusal.input.name, output.name, {
      threads: options.threads,
      externalData: options.externalData,
      ort: options.ort,
    });
    if (!found.runner) throw new XaiError(`${why}. It could run on onnxruntime as a black box, but ${found.name} is unusable: ${found.reason}`);
    const ort = found.runner;
    try {
      const where = { model: source.name, output: output.name, batch: fixedBatch };
      let numClasses = output.dims ? classifierOutputClasses(output.dims, where) : undefined;
      if (numClasses === undefined) {
        // Dynamic class axis: measured on one zero batch.
        const unit = fixedBatch ?? 1;
        const zeros = new Float32Array(unit * input.height * input.width * input.channels);
        const out = await ort.run(zeros, modelShape(input, unit));
        numClasses = classifierOutputClasses(out.dims, where);
        if (numClasses === undefined) throw new XaiError(`${source.name}: the output "${output.name}" came out as [${out.dims.join(', ')}]; expected [batch, classes]`);
      }
      if (options.classNames && options.classNames.length !== numClasses) {
        throw new XaiError(`classNames has ${options.classNames.length} names but the model has ${numClasses} classes`);
      }
      return new OnnxBlackBoxClassifier({
        input, numClasses, classNames: options.classNames, preprocessing: resolvePreprocessing(options.preprocessing), inputName: refusal.input.name,
        outputName: output.name, fixedBatch, missingOperators: refusal.operators, ort,
      });
    } catch (error) {
      void ort.dispose();
      throw error;
    }
  }

  get engine(): string {
    return this.fixedBatch ? `${this.predictor.engine} (fixed batch ${this.fixedBatch})` : this.predictor.engine;
  }

  async predict(batch: tf.Tensor4D): Promise<tf.Tensor2D> {
    if (this.disposed) throw new XaiError('the model has been disposed');
    checkImageBatch(this.input, batch, 'predict');
    return this.predictor.predict(batch);
  }

  /** Logits for host values in the model's layout (see `Classifier.predictValues`). */
  async predictValues(values: Float32Array, rows: number): Promise<tf.Tensor2D> {
    if (this.disposed) throw new XaiError('the model has been disposed');
    return this.predictor.predictValues(values, rows);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.predictor.dispose();
  }
}
