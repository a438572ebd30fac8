import { resolvePreprocessing, type Preprocessing } from '../preprocess.js';

/** What a model file does not say about itself; given by the caller or the model's metadata. */
export interface ClassifierOptions {
  classNames?: readonly string[];
  /**
   * A preset name (`imagenet`, `torchvision`, `unit`, `symmetric`, `raw`, `[0,1]`, `[-1,1]`) or the
   * values; a partial object overlays the model's stored preprocessing (else `unit`).
   */
  preprocessing?: string | Partial<Preprocessing>;
  /** Where the model came from (a path or URL), for messages; default "the model". */
  source?: string;
}

/** Where a model came from, as messages name it. */
export function describeSource(source: string | undefined): string {
  return source ? `"${source}"` : 'the model';
}

/** Metadata the toolkit stores in a tfjs `model.json` under `userDefinedMetadata.xai`. */
export interface StoredMetadata {
  classNames?: string[];
  preprocessing?: string | Partial<Preprocessing>;
}

export function mergeMetadata(options: ClassifierOptions, stored: StoredMetadata | undefined): ClassifierOptions {
  return {
    classNames: options.classNames ?? stored?.classNames,
    // A partial object (say, only the resize) overlays the stored preprocessing rather than replacing it.
    preprocessing:
      typeof options.preprocessing === 'object' && stored?.preprocessing !== undefined
        ? resolvePreprocessing(options.preprocessing, stored.preprocessing)
        : (options.preprocessing ?? stored?.preprocessing),
  };
}
