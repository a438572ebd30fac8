import type * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '../errors.js';

/** Where a tfjs model's `model.json` and weight files come from (a folder, a URL, dropped Files). */
export interface ModelSource {
  /** The `model.json` location, for error messages. */
  readonly location: string;
  readModelJson(): Promise<string>;
  /** Reads a weight file given by its path relative to `model.json` (already checked to stay inside). */
  readWeightFile(relativePath: string): Promise<ArrayBuffer>;
}

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology?: unknown;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  userDefinedMetadata?: Record<string, unknown>;
  signature?: unknown;
  modelInitializer?: unknown;
}

/** Reads `model.json` and its weights into ModelArtifacts, refusing weight paths outside its folder. */
export async function readModelArtifacts(source: ModelSource): Promise<tf.io.ModelArtifacts> {
  const json = parseModelJson(await source.readModelJson(), source.location);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of json.weightsManifest ?? []) {
    for (const path of group.paths) {
      const safe = weightPathInside(path, source.location);
      buffers.push(await source.readWeightFile(safe));
    }
    weightSpecs.push(...group.weights);
  }
  const weightData = concat(buffers);
  checkWeightSizes(weightSpecs, weightData.byteLength, source.location);
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    weightSpecs,
    weightData,
    userDefinedMetadata: json.userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
    signature: json.signature as tf.io.ModelArtifacts['signature'],
    modelInitializer: json.modelInitializer as tf.io.ModelArtifacts['modelInitializer'],
  };
}

export function modelKind(artifacts: tf.io.ModelArtifacts): 'layers-model' | 'graph-model' {
  if (artifacts.format === 'graph-model') return 'graph-model';
  if (artifacts.format === 'layers-model') return 'layers-model';
  const topology = artifacts.modelTopology as Record<string, unknown> | undefined;
  if (topology && Array.isArray(topology.node)) return 'graph-model';
  return 'layers-model';
}

function parseModelJson(text: string, location: string): ModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new XaiError(`${location} is not valid JSON (${(error as Error).message}); expected a tfjs model.json`, {
      cause: error,
    });
  }
  const model = json as ModelJson;
  if (typeof json !== 'object' || json === null || typeof model.modelTopology !== 'object' || !model.modelTopology) {
    throw new XaiError(
      `${location} has no "modelTopology"; expected a tfjs model.json (format "layers-model" or "graph-model")`,
    );
  }
  const manifest = model.weightsManifest ?? [];
  const wellFormed =
    Array.isArray(manifest) &&
    manifest.every((g) => Array.isArray(g?.paths) && g.paths.every((p) => typeof p === 'string') && Array.isArray(g.weights));
  if (!wellFormed) {
    throw new XaiError(`${location} has a malformed "weightsManifest"; expected [{ paths: string[], weights: [...] }]`);
  }
  return model;
}

/** Normalises a weight path and refuses one that is absolute, a URL, or climbs out of the folder. */
export function weightPathInside(path: string, location: string): string {
  const refuse = (): never => {
    throw new XaiError(
      `${location} names the weight file "${path}", which is outside the model's folder; weight paths must be relative and stay inside it`,
    );
  };
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path) || path.startsWith('/') || path.startsWith('\\')) refuse();
  const parts: string[] = [];
  for (const part of path.split(/[\\/]/)) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) refuse();
      parts.pop();
    } else parts.push(part);
  }
  if (parts.length === 0) refuse();
  return parts.join('/');
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2, int16: 2, int8: 1 };

function checkWeightSizes(specs: tf.io.WeightsManifestEntry[], bytes: number, location: string): void {
  let needed = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const width = spec.quantization ? DTYPE_BYTES[spec.quantization.dtype] : DTYPE_BYTES[spec.dtype];
    needed += count * (width ?? 4);
  }
  if (needed > bytes) {
    throw new XaiError(`${location}: the weight files hold ${bytes} bytes but the manifest needs ${needed}; a weight file is truncated or wrong`);
  }
}

function concat(buffers: ArrayBuffer[]): ArrayBuffer {
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}
