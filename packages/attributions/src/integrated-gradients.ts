import * as tf from '@tensorflow/tfjs-core';
import { XaiError, attributionMap, checkedInputGradients, runBatched, type Classifier, type MethodDescriptor, type Params, type ParamSpec, type ProgressEvent } from '@xai/core';
import { progressPart, requireInputGradients, type GradientClassifier } from './base.js';
import { NAMED_BASELINES, type BaselineSource } from './baseline.js';
import { INTEGRATION_RULES, minimumSteps, pathQuadrature, type IntegrationRule, type PathQuadrature } from './quadrature.js';

export const STEPS_PARAM: ParamSpec = {
  name: 'steps',
  type: 'int',
  default: 32,
  min: 1,
  max: 1024,
  help: 'points on the path from the baseline to the image (Captum n_steps)',
};

export const RULE_PARAM: ParamSpec = {
  name: 'rule',
  type: 'choice',
  default: 'gausslegendre',
  choices: INTEGRATION_RULES,
  help: 'integration rule along the path (Captum method): gausslegendre or a Riemann sum',
};

/** Refuses a step count the rule cannot take (one step for a Riemann rule), naming both. */
export function checkSteps(params: Params, who: string): void {
  const rule = params.rule as IntegrationRule;
  const steps = params.steps as number;
  const min = minimumSteps(rule);
  if (steps < min) {
    throw new XaiError(`${who}: steps must be ≥ ${min} with rule ${rule} (as Captum), got ${steps}; gausslegendre takes 1 or more`);
  }
}

export interface PathWork {
  batchSize: number;
  signal?: AbortSignal;
  /** Called after each batch with the number of path points done so far. */
  onPoints?: (done: number) => void;
}

/**
 * Integrated Gradients of one image for one class, Captum's way:
 * `(x − x') ⊙ Σ_k w_k ∂y_c/∂x (x' + α_k (x − x'))`, the scaled inputs running `batchSize` at a
 * time through `inputGradients`; sums in float64. `image` and `baseline` are `[1, H, W, C]`;
 * returns the NHWC attribution.
 */
export async function integratedGradientsOf(
  model: GradientClassifier,
  image: tf.Tensor4D,
  baseline: tf.Tensor4D,
  classIndex: number,
  quadrature: PathQuadrature,
  work: PathWork,
): Promise<Float32Array> {
  const { alphas, weights } = quadrature;
  const size = image.size;
  const total = new Float64Array(size);
  await runBatched(
    alphas.length,
    async ({ start, end }) => {
      const m = end - start;
      const scaled = tf.tidy(() => {
        const a = tf.tensor4d(Float32Array.from(alphas.subarray(start, end)), [m, 1, 1, 1]);
        return tf.add(baseline, tf.mul(a, tf.sub(image, baseline))) as tf.Tensor4D;
      });
      const gradient = await checkedInputGradients(model, scaled, classIndex);
      try {
        return (await gradient.data()) as Float32Array;
      } finally {
        gradient.dispose();
      }
    },
    (values, { start, end }) => {
      for (let k = start; k < end; k++) {
        const w = weights[k];
        const offset = (k - start) * size;
        for (let i = 0; i < size; i++) total[i] += w * values[offset + i];
      }
    },
    { batchSize: work.batchSize, signal: work.signal, onProgress: work.onPoints && ((event: ProgressEvent) => work.onPoints!(event.done)) },
  );
  const x = await image.data();
  const b = await baseline.data();
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = total[i] * (x[i] - b[i]);
  return out;
}

/** `Σ attribution − (y_c(x) − y_c(x'))`: Captum's convergence delta (0 for an exact integral). */
async function convergenceDelta(model: Classifier, image: tf.Tensor4D, baseline: tf.Tensor4D, classIndex: number, attribution: Float32Array): Promise<number> {
  const pair = tf.concat([image, baseline]) as tf.Tensor4D;
  let logits: tf.Tensor2D | undefined;
  try {
    logits = await model.predict(pair);
    const values = await logits.data();
    const k = model.numClasses;
    let sum = 0;
    for (const a of attribution) sum += a;
    return sum - (values[classIndex] - values[k + classIndex]);
  } finally {
    pair.dispose();
    logits?.dispose();
  }
}

/**
 * Integrated Gradients (Captum's `IntegratedGradients`, `multiply_by_inputs`): the path integral
 * of the gradient from a baseline to the image, times the image minus the baseline. Default: 32
 * Gauss–Legendre points from zeros. `params.convergenceDelta` records Captum's delta.
 */
export const integratedGradients = integratedGradientsWith(NAMED_BASELINES);

/** Integrated Gradients from the baseline `source` makes (`withBaseline` gives it a user's). */
export function integratedGradientsWith(source: BaselineSource): MethodDescriptor {
  return {
    id: 'integrated-gradients',
    label: 'Integrated Gradients',
    paper: {
      title: 'Axiomatic Attribution for Deep Networks',
      authors: 'Sundararajan, Taly, Yan',
      year: 2017,
      url: 'https://arxiv.org/abs/1703.01365',
    },
    box: 'white',
    layers: 'none',
    params: [STEPS_PARAM, RULE_PARAM, ...source.params],
    check(model, params) {
      requireInputGradients(model, 'Integrated Gradients');
      checkSteps(params, 'integrated-gradients');
      source.check?.(model.input, 'integrated-gradients');
    },
    async run(model, image, params, context) {
      requireInputGradients(model, 'Integrated Gradients');
      const quadrature = pathQuadrature(params.rule as IntegrationRule, params.steps as number);
      const steps = quadrature.alphas.length;
      const { targets } = context;
      const baseline = await source.image(image, params);
      try {
        const maps = [];
        for (const [t, target] of targets.entries()) {
          const report = progressPart(context.onProgress, 'integrated-gradients', t * steps, targets.length * steps);
          const attribution = await integratedGradientsOf(model, image, baseline, target.index, quadrature, {
            batchSize: context.batchSize,
            signal: context.signal,
            onPoints: report && ((done) => report({ stage: 'integrated-gradients', done, total: steps })),
          });
          const delta = await convergenceDelta(model, image, baseline, target.index, attribution);
          maps.push(attributionMap(model.input, attribution, target, 'integrated-gradients', { convergenceDelta: delta }));
        }
        return maps;
      } finally {
        baseline.dispose();
      }
    },
  };
}
