import { SHAPE_CLASSES } from './data/shapes.js';

/** What the bundled model expects and returns; stored in its model.json as `userDefinedMetadata.xai`. */
export const DEMO_MODEL = {
  classNames: [...SHAPE_CLASSES] as string[],
  preprocessing: 'unit',
  inputSize: 96,
  camLayer: 'stage3',
} as const;
