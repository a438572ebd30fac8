import * as tf from '@tensorflow/tfjs-core';
import {
  XaiError,
  attributionMap,
  checkedInputGradients,
  runBatched,
  type Classifier,
  type MethodContext,
  type MethodDescriptor,
  type Params,
  type SaliencyMap,
} from '@xai/core';
import { gradCam } from './grad-cam.js';

const LABEL = 'Guided Grad-CAM';

type GuidedClassifier = Classifier & Required<Pick<Classifier, 'inputGradients'>>;

function requireInputGradients(model: Classifier): asserts model is GuidedClassifier {
  if (typeof model.inputGradients !== 'function') {
    throw new XaiError(
      `${LABEL} needs the gradient of a class logit with respect to the input (Guided Backprop), which this model ` +
        `(engine ${model.engine}) does not give; use a tfjs LayersModel or GraphModel, or an ONNX model the tfjs graph can run, ` +
        'or Grad-CAM, which needs only the layer gradients',
    );
  }
}

/**
 * Guided Grad-CAM (Selvaraju et al. 2017): Guided Backprop's signed `∂y_c/∂x` (every ReLU's
 * backward passing `ReLU(g) · [input > 0]`) times the Grad-CAM map at the input's size — the map
 * `gradCam` returns, after pytorch-grad-cam's post-processing, broadcast over the channels. The
 * map's `attribution` is that signed product, NHWC `[H][W][C]`; `data` its channel sum of
 * absolute values. At the Grad-CAM layers (one or several, as Grad-CAM aggregates them).
 */
export const guidedGradCam: MethodDescriptor = {
  id: 'guided-grad-cam',
  label: LABEL,
  paper: {
    title: 'Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization',
    authors: 'Selvaraju, Cogswell, Das, Vedantam, Parikh, Batra',
    year: 2017,
    url: 'https://arxiv.org/abs/1610.02391',
  },
  box: 'white',
  layers: 'many',
  params: [],
  check: (model) => requireInputGradients(model),
  run: (model, image, params, context) => runGuidedGradCam(model, image, params, context),
};

async function runGuidedGradCam(model: Classifier, image: tf.Tensor4D, params: Params, context: MethodContext): Promise<SaliencyMap[]> {
  requireInputGradients(model);
  const cams = await gradCam.run(model, image, params, context);
  const { targets } = context;
  const [, height, width, channels] = image.shape;
  const size = height * width * channels;
  const attributions = targets.map(() => new Float32Array(size));
  await runBatched(
    targets.length,
    async ({ start, end }) => {
      const batch = end - start === 1 ? image : (tf.tile(image, [end - start, 1, 1, 1]) as tf.Tensor4D);
      const classes = targets.slice(start, end).map((t) => t.index);
      const gradient = await checkedInputGradients(model as Required<Pick<Classifier, 'inputGradients'>>, batch, classes, { rule: 'guided' });
      try {
        return Float32Array.from(await gradient.data());
      } finally {
        // Adapters may `tf.keep` what they return, so the batch's scope alone would not free it.
        gradient.dispose();
      }
    },
    (values, { start, end }) => {
      for (let t = start; t < end; t++) attributions[t].set(values.subarray((t - start) * size, (t - start + 1) * size));
    },
    { batchSize: context.batchSize, signal: context.signal, onProgress: context.onProgress, stage: 'guided-grad-cam' },
  );
  return targets.map((target, t) => {
    const cam = cams.find((m) => m.classIndex === target.index) ?? cams[t];
    const attribution = attributions[t];
    for (let p = 0; p < height * width; p++) {
      for (let c = 0; c < channels; c++) attribution[p * channels + c] *= cam.data[p];
    }
    return attributionMap(model.input, attribution, target, guidedGradCam.id, { ...cam.params });
  });
}
