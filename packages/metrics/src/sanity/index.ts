export { ssim, mapSsim, mapSimilarity, SSIM_WINDOW } from './similarity.js';
export type { MapGrid, SsimOptions, Similarity, Explainer } from './similarity.js';
export { modelParameterRandomisation, cascadeLayers, isRandomisable } from './randomisation.js';
export type { RandomisationOptions, RandomisationResult, RandomisationStep, RandomisableClassifier } from './randomisation.js';
export { randomLogitTest, otherClassOf } from './random-logit.js';
export type { RandomLogitResult } from './random-logit.js';
