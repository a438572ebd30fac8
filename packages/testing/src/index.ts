export * from './fixtures.js';
export * from './compare.js';
export * from './backends.js';
export * from './tiny-chelsea.js';
