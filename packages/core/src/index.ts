export * from './classifier.js';
export * from './errors.js';
export * from './saliency.js';
export * from './progress.js';
export * from './preprocess.js';
export * from './geometry.js';
export { readingGuide, type GuideLine } from './reading-guide.js';
export { pilResize, type PilFilter } from './resample.js';
export * from './npy.js';
export * from './random.js';
export * from './batching.js';
export * from './backend/select.js';
export { registerGradientKernels } from './backend/kernels/register.js';
export { LayersClassifier } from './models/layers-classifier.js';
export { shuffledWeights, checkParameterLayers } from './models/randomise.js';
export { GraphClassifier, type GraphClassifierOptions } from './models/graph-classifier.js';
export type { ClassifierOptions, StoredMetadata } from './models/options.js';
export { readModelArtifacts, weightPathInside, type ModelSource } from './models/artifacts.js';
export { loadTfjsClassifier, classifierFromArtifacts, urlSource, filesSource, type TfjsClassifier } from './models/load.js';
export {
  UnknownLayerError, unknownLayer, layerHandle, requireFeatureMap, defaultFeatureLayer, defaultFeatureLayerOrNone, closestNames, editDistance,
} from './models/layer-search.js';
export { classifierOutputClasses, formatDims, inFixedBatches, CLASSIFIER_OUTPUT, type OutputDims, type OutputWhere } from './models/contract.js';
export * from './methods/index.js';
export { ensureGradients } from './backend/register-gradients.js';
export { withGuidedRelu, GUIDED_RELU_GRADIENT } from './backend/guided-relu.js';
export { withoutWeightGradients } from './backend/no-weight-gradients.js';
export { inputGradientsOf, classesPerRow, type InputGradientModel } from './models/input-gradients.js';
export * from './pool/index.js';
