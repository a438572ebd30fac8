export * from './mask-files.js';
