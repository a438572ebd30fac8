export * from '../index.js';
export { loadOnnxModel } from './load.js';
