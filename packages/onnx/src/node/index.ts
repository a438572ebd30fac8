export * from '../index.js';
export { loadOnnxModel, type NodeOnnxModelOptions } from './load.js';
