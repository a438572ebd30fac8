import { fileURLToPath } from 'node:url';
import type { ClassifierOptions, PooledClassifier, TfjsClassifier } from '@xai/core';
import { loadTfjsModelFile } from '@xai/core/node';
import { demoSampleInfo } from '../samples.js';

/** The bundled model's model.json on disk (inside the installed package). */
export function demoModelPath(): string {
  return fileURLToPath(new URL('../../model/model.json', import.meta.url));
}

/**
 * The bundled shapes classifier, read from the installed package: a white-box Classifier
 * with class names and `unit` preprocessing attached (from its model.json metadata). `predict`
 * is spread over `workers` worker threads (default: the number of cores; 1: in-process), each
 * reading the same file (see `pooled` in `@xai/core/node`).
 */
export function loadDemoModel(options: ClassifierOptions & { path?: string; workers?: number } = {}): Promise<PooledClassifier<TfjsClassifier>> {
  const { path, ...classifierOptions } = options;
  return loadTfjsModelFile(path ?? demoModelPath(), classifierOptions);
}

/** The files of a shipped sample: the image, its object mask (0/255) and its ground truth JSON. */
export function demoSampleFiles(name: string): { image: string; mask: string; groundTruth: string } {
  const { name: stem } = demoSampleInfo(name);
  const at = (file: string) => fileURLToPath(new URL(`../../samples/${file}`, import.meta.url));
  return { image: at(`${stem}.png`), mask: at(`${stem}.mask.png`), groundTruth: at(`${stem}.json`) };
}
