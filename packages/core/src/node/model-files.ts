import { dirname, join, resolve, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSource } from '../models/artifacts.js';
import { loadTfjsClassifier, type TfjsClassifier } from '../models/load.js';
import type { GraphClassifierOptions } from '../models/graph-classifier.js';
import { XaiError } from '../errors.js';
import { readBytes } from './files.js';
import { withRecipe } from '../pool/recipe.js';
import type { PooledClassifier } from '../pool/pooled.js';
import { pooled } from './pool.js';

/** A model.json on disk; weight files are read from its folder and may not leave it. */
export function fileSource(modelJsonPath: string): ModelSource {
  const folder = resolve(dirname(modelJsonPath));
  return {
    location: modelJsonPath,
    readModelJson: async () => new TextDecoder().decode(await readBytes(modelJsonPath, 'model.json')),
    readWeightFile: async (relativePath) => {
      const full = resolve(join(folder, relativePath));
      if (!full.startsWith(folder + sep)) {
        throw new XaiError(`${modelJsonPath} names the weight file "${relativePath}", which is outside the model's folder`);
      }
      try {
        const bytes = await readBytes(full, 'Weight file');
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      } catch (error) {
        throw new XaiError(`${(error as Error).message} (named by ${modelJsonPath})`, { cause: error });
      }
    },
  };
}

export interface TfjsModelFileOptions extends GraphClassifierOptions {
  /** Worker threads `predict` is spread over (default: the number of cores; 1: in-process). See `pooled`. */
  workers?: number;
}

/**
 * Loads a tfjs model.json (LayersModel or GraphModel) from disk as a Classifier, its `predict`
 * spread over `workers` worker threads that each load the same file (see `pooled`).
 */
export async function loadTfjsModelFile(path: string, options: TfjsModelFileOptions = {}): Promise<PooledClassifier<TfjsClassifier>> {
  const { workers, ...classifierOptions } = options;
  const model = await loadTfjsClassifier(fileSource(path), classifierOptions);
  // A worker reads the same file with the same options (and no workers of its own).
  const args = [resolve(path), { ...classifierOptions, source: classifierOptions.source ?? path, workers: 1 }];
  return pooled(withRecipe(model, { module: import.meta.url, export: 'loadTfjsModelFile', args, backend: tf.getBackend() }), { workers });
}
