export * from './files.js';
export * from './model-files.js';
export * from './image.js';
export * from './atomic.js';
export { pooled, nodeWorkers, defaultWorkers, type PooledOptions } from './pool.js';
