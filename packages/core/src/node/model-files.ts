import { dirname, join, resolve, sep } from 'node:path';
import type { ModelSource } from '../models/artifacts.js';
import { loadTfjsClassifier, type TfjsClassifier } from '../models/load.js';
import type { GraphClassifierOptions } from '../models/graph-classifier.js';
import { XaiError } from '../errors.js';
import { readBytes } from './files.js';

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

/** Loads a tfjs model.json (LayersModel or GraphModel) from disk as a Classifier. */
export function loadTfjsModelFile(path: string, options: GraphClassifierOptions = {}): Promise<TfjsClassifier> {
  return loadTfjsClassifier(fileSource(path), options);
}
