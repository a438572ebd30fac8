// The same computations in Node (tfjs wasm backend), to hold the browser's numbers against.
import type * as tf from '@tensorflow/tfjs-core';
import { LayersClassifier, loadTfjsClassifier, preprocess, selectBackend, urlSource, type Classifier, type RawImage, type SaliencyMap } from '@xai/core';
import { absCam } from '@xai/abs-cam';
import { deletion, insertion } from '@xai/metrics';
import { rise } from '@xai/rise';
import { DEMO_MODEL, buildDemoArchitecture } from '@xai/zoo';
import { UNTRAINED_DEMO_SEED } from '../src/logic/demo-fallback.js';

export interface PageMap {
  method: string;
  classIndex: number;
  height: number;
  width: number;
  params: Record<string, unknown>;
  data: number[];
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

/** Reruns the page's method in Node with the parameters the page recorded in the map. */
export async function referenceMaps(model: Classifier, input: tf.Tensor4D, pageMaps: readonly PageMap[]): Promise<SaliencyMap[]> {
  const first = pageMaps[0];
  const p = first.params;
  if (first.method === 'rise' || first.method === 'rise-gaussian') {
    const binary = first.method === 'rise';
    return rise(model, input, {
      masks: binary ? 'binary' : 'gaussian',
      n: p.n as number,
      s: p.s as number,
      seed: p.seed as number,
      ...(binary ? { p1: p.p1 as number } : {}),
      scores: p.scores as 'prob' | 'logit',
      classes: pageMaps.map((m) => m.classIndex),
    });
  }
  const variant = first.method === 'abs-cam-init' ? 'init' : 'final';
  return [await absCam(model, input, { variant, layer: p.layer as string, target: first.classIndex })];
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
