import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { XaiError, withRecipe, type PooledClassifier } from '@xai/core';
import { pooled } from '@xai/core/node';
import { OnnxClassifier } from '../classifier.js';
import { openOnnxModel, type OnnxModel } from '../open.js';
import type { OnnxModelOptions } from '../options.js';
import type { ExternalDataReader } from '../host.js';
import { createThreadedOrtRunner } from './ort-thread.js';
import { externalFromMap, sourceBytes, type OnnxModelSource } from '../load.js';

/** Reads byte ranges of external-data files that sit beside the model file. */
function externalFromDirectory(directory: string): ExternalDataReader {
  return (location, offset, length) => {
    const path = join(directory, location);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw new XaiError(`the model's external data file "${location}" is missing (looked for ${path})`, { cause: error });
    }
    try {
      const size = fstatSync(fd).size;
      const n = length ?? size - offset;
      if (offset + n > size) throw new XaiError(`the external data file ${path} has ${size} bytes; the model reads up to byte ${offset + n}`);
      const out = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const got = readSync(fd, out, done, n - done, offset + done);
        if (got <= 0) break;
        done += got;
      }
      return out.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  };
}

export interface NodeOnnxModelOptions extends OnnxModelOptions {
  /**
   * Worker threads `predict` is spread over when the tfjs graph runs it (default: the number of
   * cores; 1: in-process); each loads the same model. Models on onnxruntime use its threads instead.
   */
  workers?: number;
}

/**
 * Loads an ONNX classifier from a file path, a Uint8Array or an ArrayBuffer (Node). On the tfjs
 * engine its `predict` is spread over `workers` worker threads (see `pooled` in `@xai/core/node`).
 */
export async function loadOnnxModel(source: OnnxModelSource, options: NodeOnnxModelOptions & { engine: 'tfjs' }): Promise<PooledClassifier<OnnxClassifier>>;
export async function loadOnnxModel(source: OnnxModelSource, options?: NodeOnnxModelOptions): Promise<OnnxModel>;
export async function loadOnnxModel(source: OnnxModelSource, options: NodeOnnxModelOptions = {}): Promise<OnnxModel> {
  const { workers, ...modelOptions } = options;
  const model = await openFromNode(source, modelOptions);
  if (!(model instanceof OnnxClassifier) || !model.engine.startsWith('tfjs')) return model;
  // A worker loads the same model on the tfjs graph, with no workers of its own.
  const from = typeof source === 'string' && !/^(https?|data|blob|file):/.test(source) ? resolve(source) : source;
  // The recipe is posted to workers: an onnxruntime module (functions) cannot go, nor is it needed on tfjs.
  const { ort: _ort, ...cloneable } = modelOptions;
  const args = [from, { ...cloneable, engine: 'tfjs', workers: 1 }];
  return pooled(withRecipe(model, { module: import.meta.url, export: 'loadOnnxModel', args, backend: tf.getBackend() }), { workers });
}

async function openFromNode(source: OnnxModelSource, options: OnnxModelOptions): Promise<OnnxModel> {
  if (typeof source !== 'string' || /^(https?|data|blob):/.test(source)) {
    const bytes = await sourceBytes(source);
    return openOnnxModel({ bytes, name: 'ONNX model', readExternal: externalFromMap(options.externalData), openOrt: createThreadedOrtRunner }, options);
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(source));
  } catch (error) {
    throw new XaiError(`cannot read the model file "${source}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }
  return openOnnxModel(
    {
      bytes,
      name: `"${source}"`,
      readExternal: externalFromMap(options.externalData) ?? externalFromDirectory(dirname(source)),
      ortModel: source,
      openOrt: createThreadedOrtRunner,
    },
    options,
  );
}
