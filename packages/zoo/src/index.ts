export { SHAPE_CLASSES, type ShapeClass, type Placement } from './data/shapes.js';
export {
  generateSample,
  generateDataset,
  DEFAULT_IMAGE_SIZE,
  type ShapeSample,
  type BoundingBox,
  type SampleOptions,
  type DatasetOptions,
} from './data/generate.js';
export { BACKGROUND_KINDS, type BackgroundKind } from './data/background.js';
export { imagesToBatch } from './batch.js';
export { buildDemoArchitecture, type ArchitectureOptions } from './model/architecture.js';
export { DEMO_MODEL } from './demo-spec.js';
export { loadDemoModel, defaultDemoModelUrl, type LoadDemoModelOptions } from './load.js';
export { DEMO_SAMPLES, SAMPLE_SEED, demoSample, demoSampleInfo, demoSampleUrls, type DemoSampleInfo } from './samples.js';
