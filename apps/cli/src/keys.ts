import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { nonDefaultGeometry, type Classifier, type Params, type PreparedMethod, type Preprocessing } from '@xai/core';
import { demoModelPath } from '@xai/zoo/node';

/**
 * What produced a result, field by field. Two results may stand for each other only when their
 * keys are equal; when they are not, `keyDifferences` says which field and how.
 */

/** The settings every item of a `compare` run shares. */
export interface RunKey {
  /** sha256 of the model file, or of its files' sha256 lines (`sha256  name`) when there are several. */
  model: string;
  preprocessing: Preprocessing;
  /** Who runs forward passes (`tfjs:wasm`, `onnxruntime-node`, …). */
  engine: string;
  /** Who computes gradients, where a model says (ONNX models: `onnxruntime-node (gradient graph)`, `tfjs:wasm`). */
  gradients?: string;
  /** The tfjs backend that preprocesses, blurs and runs the tfjs side (`wasm`, `cpu`, …). */
  backend: string;
  protocol: MetricProtocolKey;
}

export interface MetricProtocolKey {
  /** The class each map explains and each metric tracks. */
  class: 'top';
  /** Each chosen metric with its settings (Insertion's step and substrate, ROAD's percentiles, noise and seed, …), in the order given. */
  metrics: Record<string, Readonly<Record<string, unknown>>>;
  /** How the summary's intervals are made. */
  interval: IntervalKey;
}

export interface IntervalKey {
  method: 'percentile bootstrap over images';
  level: number;
  resamples: number;
  seed: number;
}

/** One method: its id, its validated parameters and its layers. */
export interface MethodKey {
  method: string;
  params: Params;
  layers: string[];
}

/** One image: the run's settings and the input (and ground truth) file's content. */
export interface ItemKey extends RunKey {
  /** sha256 of the image file; null when it could not be read. */
  input: string | null;
  /** sha256 of the ground-truth files beside the image (mask, then JSON), null when there are none. */
  groundTruth: string | null;
}

/** The run as a whole: its settings and every method's key. */
export interface SettingsKey extends RunKey {
  methods: Record<string, MethodKey>;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 of one file; of several, the sha256 of their `sha256  name` lines in the order given. */
export async function sha256Files(paths: readonly string[]): Promise<string> {
  if (paths.length === 1) return sha256File(paths[0]);
  const lines: string[] = [];
  for (const path of paths) lines.push(`${await sha256File(path)}  ${basename(path)}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/** The files a model is read from: an .onnx file and its external data, or a model.json and its weights. */
export async function modelFiles(path: string | undefined): Promise<string[]> {
  const file = path ?? demoModelPath();
  if (extname(file).toLowerCase() === '.json') {
    const manifest = JSON.parse(await readFile(file, 'utf8')) as { weightsManifest?: { paths?: string[] }[] };
    const weights = (manifest.weightsManifest ?? []).flatMap((group) => group.paths ?? []);
    return [file, ...weights.map((w) => join(dirname(file), w))];
  }
  const external = externalDataFiles(await readFile(file)).map((name) => join(dirname(file), name));
  return [file, ...external.filter((f) => existsSync(f))];
}

/**
 * The external-data files an ONNX model names: each is a `StringStringEntryProto` with key
 * `location`, i.e. the bytes `0a 08 "location" 12 <varint length> <name>`.
 */
function externalDataFiles(bytes: Uint8Array): string[] {
  const marker = Buffer.from([0x0a, 0x08, ...Buffer.from('location'), 0x12]);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const names = new Set<string>();
  for (let at = buffer.indexOf(marker); at >= 0; at = buffer.indexOf(marker, at + 1)) {
    let offset = at + marker.length;
    let length = 0;
    for (let shift = 0; offset < buffer.length && shift < 35; shift += 7) {
      const byte = buffer[offset++];
      length |= (byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    if (length > 0 && length < 4096 && offset + length <= buffer.length) names.add(buffer.subarray(offset, offset + length).toString('utf8'));
  }
  return [...names].sort();
}

export function runKey(modelHash: string, model: Classifier, backend: string, protocol: MetricProtocolKey): RunKey {
  const { scale, offset, mean, std } = model.preprocessing;
  // The geometry enters the key only when it is not the default, so keys of earlier runs still match.
  const geometry = nonDefaultGeometry(model.preprocessing);
  return { model: modelHash, preprocessing: { scale, offset, mean: [...mean], std: [...std], ...geometry }, engine: model.engine, ...(model.gradientEngine ? { gradients: model.gradientEngine } : {}), backend, protocol };
}

export function methodKey(prepared: PreparedMethod): MethodKey {
  return { method: prepared.method.id, params: { ...prepared.params }, layers: prepared.layers.map((l) => l.name) };
}

export interface KeyDifference {
  /** A dotted path: `model`, `protocol.step`, `rise.n`, `input`. */
  field: string;
  old: unknown;
  new: unknown;
}

/**
 * The leaf fields in which two keys differ, as dotted paths (`prefix.field`). A field missing on
 * one side counts as a difference.
 */
export function keyDifferences(old: unknown, now: unknown, prefix = ''): KeyDifference[] {
  if (isRecord(old) && isRecord(now)) {
    const fields = [...new Set([...Object.keys(old), ...Object.keys(now)])].sort();
    return fields.flatMap((f) => keyDifferences(old[f], now[f], prefix ? `${prefix}.${f}` : f));
  }
  return stableJson(old) === stableJson(now) ? [] : [{ field: prefix || '(key)', old, new: now }];
}

/** Item and method keys compared; method fields are named `METHOD.param` (`rise.n`, `grad-cam.layers`). */
export function methodKeyDifferences(old: MethodKey | undefined, now: MethodKey): KeyDifference[] {
  if (!old) return [{ field: `${now.method}`, old: undefined, new: 'computed' }];
  return [
    ...keyDifferences(old.params, now.params, now.method),
    ...keyDifferences(old.layers, now.layers, `${now.method}.layers`),
  ];
}

/** Two runs' settings keys compared: run fields by name (`model`, `protocol.step`), method fields as `rise.n`. */
export function settingsKeyDifferences(old: SettingsKey, now: SettingsKey): KeyDifference[] {
  const { methods: oldMethods, ...oldRun } = old;
  const { methods: newMethods, ...newRun } = now;
  const ids = [...new Set([...Object.keys(oldMethods ?? {}), ...Object.keys(newMethods ?? {})])].sort();
  return [
    ...keyDifferences(oldRun, newRun),
    ...ids.flatMap((id) => {
      const [a, b] = [oldMethods?.[id], newMethods?.[id]];
      if (!a || !b) return [{ field: id, old: a ? 'run' : 'not run', new: b ? 'run' : 'not run' }];
      return [...keyDifferences(a.params, b.params, id), ...keyDifferences(a.layers, b.layers, `${id}.layers`)];
    }),
  ];
}

/** JSON with object keys sorted, so equal values give equal text whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  ) ?? 'undefined';
}

/** A value as a difference message shows it: hashes shortened, strings bare, the rest as JSON. */
export function showValue(value: unknown): string {
  if (value === undefined) return '(none)';
  if (typeof value === 'string') return /^[0-9a-f]{64}$/.test(value) ? `sha256:${value.slice(0, 12)}…` : value;
  return stableJson(value);
}

/** `field: old → new` lines for a set of differences, one per field, with how many items differ. */
export function describeDifferences(differences: ReadonlyMap<string, { old: unknown; new: unknown; count: number }>): string[] {
  return [...differences.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([field, d]) => `${field}: ${showValue(d.old)} → ${showValue(d.new)} (${d.count} result${d.count === 1 ? '' : 's'})`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
