export { OnnxClassifier, type OnnxEngine, type OnnxModel, type OnnxModelOptions } from './classifier.js';
export { OnnxBlackBoxClassifier } from './black-box.js';
export { loadOnnxModel, type OnnxModelSource } from './load.js';
export type { OnnxRuntime } from './ort.js';
export { SUPPORTED_OPS } from './ops/registry.js';
export { modulePaths } from './scopes.js';
export { randomisedModelBytes, weightedNodes, type WeightedNode } from './randomise.js';
export { mutate, mutateFields, MUTATIONS, FIELD_MUTATIONS, type Mutation, type FieldMutation } from './fuzz.js';
