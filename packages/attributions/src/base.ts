import * as tf from '@tensorflow/tfjs-core';
import {
  XaiError,
  attributionMap,
  checkedInputGradients,
  runBatched,
  type BackwardRule,
  type Classifier,
  type MethodContext,
  type MethodDescriptor,
  type Paper,
  type ParamSpec,
  type ProgressEvent,
  type SaliencyMap,
} from '@xai/core';

/**
 * The shared base of the pixel attributions: the input-gradient call, the map made from a signed
 * attribution, and a gradient method defined by what it does with `x` and `∂y_c/∂x`.
 */

/** A model that gives `∂y_c/∂x`. */
export type GradientClassifier = Classifier & Required<Pick<Classifier, 'inputGradients'>>;

/** Refuses, before any input is read, a model without `inputGradients`. */
export function requireInputGradients(model: Classifier, label: string): asserts model is GradientClassifier {
  if (typeof model.inputGradients !== 'function') {
    throw new XaiError(
      `${label} needs the gradient of a class logit with respect to the input, which this model (engine ${model.engine}) does not give; ` +
        'use a tfjs LayersModel or GraphModel, or an ONNX model the tfjs graph can run, or a black-box method such as occlusion',
    );
  }
}

/** Progress of one part of a run reported as part of the whole: `done` offset by `before` of `total`. */
export function progressPart(
  onProgress: ((event: ProgressEvent) => void) | undefined,
  stage: string,
  before: number,
  total: number,
): ((event: ProgressEvent) => void) | undefined {
  return onProgress && ((event) => onProgress({ stage, done: before + event.done, total }));
}

/** What a simple gradient method makes of the inputs and their gradients (same shape, `[B, H, W, C]`). */
export type GradientRule = (inputs: tf.Tensor4D, gradients: tf.Tensor4D) => tf.Tensor;

export interface GradientMethodDefinition {
  id: string;
  label: string;
  paper: Paper;
  /** The backward rule of the gradient (`guided`: Guided Backprop's ReLU backward). */
  backward: BackwardRule;
  rule: GradientRule;
}

/**
 * The attributions of a batch of images for one class per row, `[B, H, W, C]` as one array per
 * image, from one `inputGradients` call. Runs in the caller's tensor scope.
 */
export async function gradientAttributions(
  definition: GradientMethodDefinition,
  model: GradientClassifier,
  batch: tf.Tensor4D,
  classes: number | readonly number[],
): Promise<Float32Array> {
  const gradient = await checkedInputGradients(model, batch, classes, { rule: definition.backward });
  try {
    const attribution = tf.tidy(() => definition.rule(batch, gradient));
    try {
      return (await attribution.data()) as Float32Array;
    } finally {
      attribution.dispose();
    }
  } finally {
    gradient.dispose();
  }
}

/**
 * A gradient method as a plug-in (white-box, on the input, no parameters): the targets run
 * `batchSize` at a time as rows of one `inputGradients` call, each row the image with its class.
 */
export function defineGradientMethod(definition: GradientMethodDefinition): MethodDescriptor & { readonly definition: GradientMethodDefinition } {
  return {
    id: definition.id,
    label: definition.label,
    paper: definition.paper,
    box: 'white',
    layers: 'none',
    params: [] as ParamSpec[],
    definition,
    check: (model) => requireInputGradients(model, definition.label),
    run: (model, image, _params, context) => runGradientMethod(definition, model, image, context),
  };
}

async function runGradientMethod(
  definition: GradientMethodDefinition,
  model: Classifier,
  image: tf.Tensor4D,
  context: MethodContext,
): Promise<SaliencyMap[]> {
  requireInputGradients(model, definition.label);
  const { targets } = context;
  const size = image.size;
  const attributions = targets.map(() => new Float32Array(size));
  await runBatched(
    targets.length,
    async ({ start, end }) => {
      const batch = end - start === 1 ? image : (tf.tile(image, [end - start, 1, 1, 1]) as tf.Tensor4D);
      return gradientAttributions(definition, model, batch, targets.slice(start, end).map((t) => t.index));
    },
    (values, { start, end }) => {
      for (let t = start; t < end; t++) attributions[t].set(values.subarray((t - start) * size, (t - start + 1) * size));
    },
    { batchSize: context.batchSize, signal: context.signal, onProgress: context.onProgress, stage: definition.id },
  );
  return targets.map((target, t) => attributionMap(model.input, attributions[t], target, definition.id));
}
