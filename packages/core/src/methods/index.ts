export * from './params.js';
export * from './targets.js';
export * from './image.js';
export * from './cam.js';
export * from './descriptor.js';
export * from './registry.js';
export * from './gradients.js';
