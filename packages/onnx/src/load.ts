import { XaiError } from '@xai/core';
import type { OnnxClassifier } from './classifier.js';
import { openOnnxModel, type OnnxModel } from './open.js';
import type { OnnxModelOptions } from './options.js';
import type { ExternalDataReader } from './host.js';

export type OnnxModelSource = string | Uint8Array | ArrayBuffer;

/** Model bytes from the caller's source; a string is fetched as a URL (the Node entry reads paths). */
export async function sourceBytes(source: OnnxModelSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof source === 'string') {
    if (typeof fetch !== 'function') throw new XaiError(`cannot fetch "${source}": no fetch() here; pass the model's bytes`);
    let response: Response;
    try {
      response = await fetch(source);
    } catch (error) {
      throw new XaiError(`could not fetch the model "${source}": ${(error as Error).message}`, { cause: error });
    }
    if (!response.ok) throw new XaiError(`could not fetch the model "${source}": HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  throw new XaiError('loadOnnxModel takes a URL or path, a Uint8Array or an ArrayBuffer');
}

export function externalFromMap(map: Record<string, Uint8Array> | undefined): ExternalDataReader | undefined {
  if (!map) return undefined;
  return (location, offset, length) => {
    const data = map[location];
    if (!data) throw new XaiError(`the external data file "${location}" is missing: options.externalData has only ${Object.keys(map).join(', ') || 'nothing'}`);
    if (offset + (length ?? 0) > data.length) throw new XaiError(`the external data file "${location}" is shorter (${data.length} bytes) than the model says`);
    return data.subarray(offset, length === undefined ? undefined : offset + length);
  };
}

/**
 * Loads an ONNX image classifier (e.g. from `torch.onnx.export`). In browsers a string is a URL;
 * in Node (the package's `node` entry, picked automatically) it is a file path.
 */
export async function loadOnnxModel(source: OnnxModelSource, options: OnnxModelOptions & { engine: 'tfjs' }): Promise<OnnxClassifier>;
export async function loadOnnxModel(source: OnnxModelSource, options?: OnnxModelOptions): Promise<OnnxModel>;
export async function loadOnnxModel(source: OnnxModelSource, options: OnnxModelOptions = {}): Promise<OnnxModel> {
  const bytes = await sourceBytes(source);
  return openOnnxModel(
    { bytes, name: typeof source === 'string' ? `"${source}"` : 'ONNX model', readExternal: externalFromMap(options.externalData) },
    options,
  );
}
