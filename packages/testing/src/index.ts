export * from './fixtures.js';
export * from './compare.js';
export * from './backends.js';
export * from './tiny-chelsea.js';
export * from './random.js';
export * from './memory.js';
export * from './linear-classifier.js';
export * from './spatial-linear-classifier.js';
