import * as tf from '@tensorflow/tfjs-core';
import { Random, attributionMap, runBatched, type MethodDescriptor, type ParamSpec, type SaliencyMap } from '@xai/core';
import { gradientAttributions, progressPart, requireInputGradients, type GradientMethodDefinition } from './base.js';
import { NAMED_BASELINES, type BaselineSource } from './baseline.js';
import { guidedBackprop } from './guided-backprop.js';
import { inputXGradient } from './input-x-gradient.js';
import { RULE_PARAM, STEPS_PARAM, checkSteps, integratedGradientsOf, integratedGradientsWith } from './integrated-gradients.js';
import { pathQuadrature, type IntegrationRule } from './quadrature.js';
import { saliency } from './saliency.js';

/** The methods SmoothGrad can average. */
export const SMOOTHGRAD_BASES = ['saliency', 'input-x-gradient', 'integrated-gradients', 'guided-backprop'] as const;
export type SmoothGradBase = (typeof SMOOTHGRAD_BASES)[number];

const SIMPLE: Record<Exclude<SmoothGradBase, 'integrated-gradients'>, GradientMethodDefinition> = {
  saliency: saliency.definition,
  'input-x-gradient': inputXGradient.definition,
  'guided-backprop': guidedBackprop.definition,
};

const NOISE_PARAMS: readonly ParamSpec[] = [
  { name: 'samples', type: 'int', default: 50, min: 1, max: 100_000, help: 'noisy copies of the image (SmoothGrad n)' },
  {
    name: 'noise',
    type: 'number',
    default: 0.15,
    min: 0,
    max: 10,
    help: 'standard deviation of the Gaussian noise, as a fraction of the input range max(x) − min(x)',
  },
  { name: 'seed', type: 'int', default: 0, min: 0, max: 0xffffffff, help: 'seed of the noise' },
  { name: 'base', type: 'choice', default: 'saliency', choices: SMOOTHGRAD_BASES, help: 'the attribution averaged over the noisy copies' },
  STEPS_PARAM,
  RULE_PARAM,
];

/**
 * SmoothGrad (Captum's `NoiseTunnel`, `smoothgrad`): the mean of a base attribution over `samples`
 * copies `x + ε`, `ε ~ N(0, σ²)` drawn from core's seeded `Random` (NHWC order, one copy after
 * the other, the same copies for every target), `σ = noise · (max(x) − min(x))`. The base runs
 * on each copy as it would on the image (Input × Gradient multiplies by the noisy copy; Integrated
 * Gradients integrates from the baseline of the original image to the copy, with `steps`, `rule`
 * and `baseline`). With `σ = 0` every copy is the image, so the base runs once and its
 * attribution is returned as it is.
 */
export const smoothGrad = smoothGradWith(NAMED_BASELINES);

/** SmoothGrad whose Integrated Gradients start from the baseline `source` makes. */
export function smoothGradWith(source: BaselineSource): MethodDescriptor {
  const bases: Record<SmoothGradBase, MethodDescriptor> = {
    saliency,
    'input-x-gradient': inputXGradient,
    'integrated-gradients': integratedGradientsWith(source),
    'guided-backprop': guidedBackprop,
  };
  return {
    id: 'smoothgrad',
    label: 'SmoothGrad',
    paper: {
      title: 'SmoothGrad: removing noise by adding noise',
      authors: 'Smilkov, Thorat, Kim, Viégas, Wattenberg',
      year: 2017,
      url: 'https://arxiv.org/abs/1706.03825',
    },
    box: 'white',
    layers: 'none',
    params: [...NOISE_PARAMS, ...source.params],
    check(model, params) {
      requireInputGradients(model, 'SmoothGrad');
      if (params.base === 'integrated-gradients') {
        checkSteps(params, 'smoothgrad');
        source.check?.(model.input, 'smoothgrad');
      }
    },
    async run(model, image, params, context) {
      requireInputGradients(model, 'SmoothGrad');
      const base = params.base as SmoothGradBase;
      const values = await image.data();
      let min = Infinity;
      let max = -Infinity;
      for (const v of values) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      const sigma = (params.noise as number) * (max - min);
      const record = { sigma };
      if (!(sigma > 0)) {
        const maps = await bases[base].run(model, image, params, context);
        return maps.map((map) => ({ ...map, method: 'smoothgrad', params: { ...map.params, ...record } }));
      }
      const samples = params.samples as number;
      const size = image.size;
      const shape = image.shape;
      /** The next `count` noisy copies, NHWC, from the run's generator. */
      const noisy = (random: Random, count: number): Float32Array => {
        const out = new Float32Array(count * size);
        for (let s = 0; s < count; s++)
          for (let i = 0; i < size; i++) out[s * size + i] = values[i] + sigma * random.normal();
        return out;
      };
      const { targets } = context;
      const maps: SaliencyMap[] = [];
      if (base === 'integrated-gradients') {
        const quadrature = pathQuadrature(params.rule as IntegrationRule, params.steps as number);
        const steps = quadrature.alphas.length;
        const total = targets.length * samples * steps;
        const baseline = await source.image(image, params);
        try {
          for (const [t, target] of targets.entries()) {
            const random = new Random(params.seed as number);
            const sum = new Float64Array(size);
            for (let s = 0; s < samples; s++) {
              const report = progressPart(context.onProgress, 'smoothgrad', (t * samples + s) * steps, total);
              const copy = tf.tensor4d(noisy(random, 1), shape);
              try {
                const attribution = await integratedGradientsOf(model, copy, baseline, target.index, quadrature, {
                  batchSize: context.batchSize,
                  signal: context.signal,
                  onPoints: report && ((done) => report({ stage: 'smoothgrad', done, total: steps })),
                });
                for (let i = 0; i < size; i++) sum[i] += attribution[i];
              } finally {
                copy.dispose();
              }
            }
            maps.push(attributionMap(model.input, mean(sum, samples), target, 'smoothgrad', record));
          }
        } finally {
          baseline.dispose();
        }
        return maps;
      }
      const definition = SIMPLE[base];
      for (const [t, target] of targets.entries()) {
        const random = new Random(params.seed as number);
        const sum = new Float64Array(size);
        await runBatched(
          samples,
          async ({ start, end }) => {
            const batch = tf.tensor4d(noisy(random, end - start), [end - start, shape[1], shape[2], shape[3]]);
            return gradientAttributions(definition, model, batch, target.index);
          },
          (attributions, { start, end }) => {
            for (let s = 0; s < end - start; s++) for (let i = 0; i < size; i++) sum[i] += attributions[s * size + i];
          },
          {
            batchSize: context.batchSize,
            signal: context.signal,
            stage: 'smoothgrad',
            onProgress: progressPart(context.onProgress, 'smoothgrad', t * samples, targets.length * samples),
          },
        );
        maps.push(attributionMap(model.input, mean(sum, samples), target, 'smoothgrad', record));
      }
      return maps;
    },
  };
}

function mean(sum: Float64Array, count: number): Float32Array {
  return Float32Array.from(sum, (v) => v / count);
}
