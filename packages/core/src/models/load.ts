import type * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '../errors.js';
import { modelKind, readModelArtifacts, type ModelSource } from './artifacts.js';
import { GraphClassifier, type GraphClassifierOptions } from './graph-classifier.js';
import { LayersClassifier } from './layers-classifier.js';
import { mergeMetadata, type StoredMetadata } from './options.js';

export type TfjsClassifier = LayersClassifier | GraphClassifier;

/** Loads a tfjs LayersModel or GraphModel (detected from model.json) as a Classifier. */
export async function loadTfjsClassifier(source: ModelSource, options: GraphClassifierOptions = {}): Promise<TfjsClassifier> {
  const artifacts = await readModelArtifacts(source);
  return classifierFromArtifacts(artifacts, options, source.location);
}

export async function classifierFromArtifacts(
  artifacts: tf.io.ModelArtifacts,
  options: GraphClassifierOptions,
  location: string,
): Promise<TfjsClassifier> {
  const stored = (artifacts.userDefinedMetadata as { xai?: StoredMetadata } | undefined)?.xai;
  const merged = { ...options, ...mergeMetadata(options, stored), source: options.source ?? location };
  const handler = { load: async () => artifacts };
  try {
    if (modelKind(artifacts) === 'graph-model') {
      const { loadGraphModel } = await import('@tensorflow/tfjs-converter');
      const graph = await loadGraphModel(handler);
      return disposingOnError(graph, () => new GraphClassifier(graph, merged));
    }
    const { loadLayersModel } = await import('@tensorflow/tfjs-layers');
    const layers = await loadLayersModel(handler);
    return disposingOnError(layers, () => new LayersClassifier(layers, merged));
  } catch (error) {
    if (error instanceof XaiError) throw error;
    throw new XaiError(`Cannot build the model in ${location}: ${(error as Error).message}`, { cause: error });
  }
}

/** A model refused by its adapter (e.g. an output that is not a classifier's) frees its weights. */
function disposingOnError<T>(model: { dispose(): unknown }, make: () => T): T {
  try {
    return make();
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** A model.json at a URL; weight files are fetched relative to it. */
export function urlSource(url: string, fetchFn: typeof fetch = fetch): ModelSource {
  const get = async (target: string) => {
    const response = await fetchFn(target);
    if (!response.ok) throw new XaiError(`Cannot fetch ${target}: HTTP ${response.status}`);
    return response;
  };
  return {
    location: url,
    readModelJson: async () => (await get(url)).text(),
    readWeightFile: async (path) => (await get(new URL(path, new URL(url, baseUrl())).href)).arrayBuffer(),
  };
}

/** A model.json and its weight files picked or dropped by the user (browser `File`s). */
export function filesSource(files: readonly File[]): ModelSource {
  const json = files.find((f) => f.name.endsWith('.json'));
  if (!json) {
    throw new XaiError(`No model.json among the files given (${files.map((f) => f.name).join(', ')}); add it with its weight files`);
  }
  return {
    location: json.name,
    readModelJson: () => json.text(),
    readWeightFile: async (path) => {
      const name = path.split('/').pop()!;
      const file = files.find((f) => f.name === name);
      if (!file) throw new XaiError(`Missing weight file "${name}" named by ${json.name}; give it together with model.json`);
      return file.arrayBuffer();
    },
  };
}

function baseUrl(): string {
  return typeof location !== 'undefined' ? location.href : 'http://localhost/';
}
