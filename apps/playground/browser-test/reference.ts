// The same computations in Node (tfjs wasm backend), to hold the browser's numbers against.
import type * as tf from '@tensorflow/tfjs-core';
import {
  LayersClassifier,
  explainWith,
  loadTfjsClassifier,
  preprocess,
  selectBackend,
  urlSource,
  type Classifier,
  type RawImage,
  type SaliencyMap,
} from '@xai/core';
import { deletion, insertion } from '@xai/metrics';
import { DEMO_MODEL, buildDemoArchitecture } from '@xai/zoo';
import { UNTRAINED_DEMO_SEED } from '../src/logic/demo-fallback.js';
import { registry } from '../src/worker/methods.js';

export interface PageMap {
  method: string;
  classIndex: number;
  height: number;
  width: number;
  params: Record<string, unknown>;
  data: number[];
  /** Pixel attributions: the signed values, NHWC. */
  attribution?: { data: number[]; channels: number };
}

/** A page's map as the toolkit's `SaliencyMap` (the H×W map; the curves do not use the attribution). */
export function asSaliencyMap({ attribution: _attribution, ...map }: PageMap): SaliencyMap {
  return { ...map, data: Float32Array.from(map.data) };
}

export interface PageImage {
  width: number;
  height: number;
  channels: number;
  data: number[];
}

export async function startNodeBackend(): Promise<void> {
  await selectBackend({ prefer: 'wasm' });
}

/** The demo model exactly as the page loads it: the served files, or the seeded untrained fallback. */
export async function demoModel(appUrl: string): Promise<Classifier> {
  const index = (await (await fetch(new URL('demo/index.json', appUrl))).json()) as { model: boolean };
  if (index.model) return loadTfjsClassifier(urlSource(new URL('demo/model/model.json', appUrl).href));
  const layers = buildDemoArchitecture({ size: DEMO_MODEL.inputSize, numClasses: DEMO_MODEL.classNames.length, seed: UNTRAINED_DEMO_SEED });
  return new LayersClassifier(layers, { classNames: DEMO_MODEL.classNames, preprocessing: DEMO_MODEL.preprocessing });
}

/** The pixels the page decoded, preprocessed in Node. */
export function nodeInput(model: Classifier, image: PageImage): tf.Tensor4D {
  const raw: RawImage = { data: Uint8Array.from(image.data), width: image.width, height: image.height, channels: image.channels as RawImage['channels'] };
  return preprocess(raw, model.input, model.preprocessing);
}

/**
 * Reruns the page's method in Node through the same registry and `explainWith`, with the
 * parameters, layers, batch size and classes the page recorded in its maps.
 */
export async function referenceMaps(model: Classifier, input: tf.Tensor4D, pageMaps: readonly PageMap[]): Promise<SaliencyMap[]> {
  const first = pageMaps[0];
  const method = registry.get(first.method);
  const recorded = first.params;
  const params = Object.fromEntries(method.params.map((spec) => [spec.name, recorded[spec.name]]));
  const layer = recorded.layerChosenBy === 'caller' ? String(recorded.layer).split(',') : undefined;
  return explainWith(method, model, input, {
    params,
    layer,
    targets: pageMaps.map((m) => m.classIndex),
    batchSize: recorded.batchSize as number,
  });
}

export async function referenceCurves(model: Classifier, input: tf.Tensor4D, map: SaliencyMap) {
  const options = { classIndex: map.classIndex };
  return { insertion: await insertion(model, input, map, options), deletion: await deletion(model, input, map, options) };
}

/** Largest difference relative to the reference's largest magnitude. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / (scale || 1);
}
