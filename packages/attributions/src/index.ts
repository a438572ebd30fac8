import type { MethodDescriptor } from '@xai/core';
import { guidedBackprop } from './guided-backprop.js';
import { inputXGradient } from './input-x-gradient.js';
import { integratedGradients } from './integrated-gradients.js';
import { occlusion } from './occlusion.js';
import { saliency } from './saliency.js';
import { smoothGrad } from './smoothgrad.js';

export { saliency, inputXGradient, integratedGradients, guidedBackprop, smoothGrad, occlusion };
export {
  defineGradientMethod, gradientAttributions, requireInputGradients,
  type GradientClassifier, type GradientMethodDefinition, type GradientRule,
} from './base.js';
export { BASELINES, NAMED_BASELINES, gaussianBlur, baselineImage, givenBaseline, type Baseline, type BaselineSource, type GivenBaseline } from './baseline.js';
export { BASELINE_METHODS, withBaseline } from './with-baseline.js';
export { integratedGradientsOf, integratedGradientsWith, type PathWork } from './integrated-gradients.js';
export { INTEGRATION_RULES, gaussLegendre, pathQuadrature, minimumSteps, type IntegrationRule, type PathQuadrature, type GaussLegendre } from './quadrature.js';
export { SMOOTHGRAD_BASES, smoothGradWith, type SmoothGradBase } from './smoothgrad.js';
export { occlusionWith, windowAxis, type WindowAxis } from './occlusion.js';

/** The pixel attributions, in the order of SPEC.md's table, SmoothGrad after its bases. */
export const ATTRIBUTION_METHODS: readonly MethodDescriptor[] = [
  saliency,
  inputXGradient,
  integratedGradients,
  guidedBackprop,
  smoothGrad,
  occlusion,
];
