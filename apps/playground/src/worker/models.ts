import * as tf from '@tensorflow/tfjs-core';
import {
  geometryInWords,
  XaiError,
  defaultFeatureLayerOrNone,
  isWhiteBox,
  preprocessingPreset,
  type Classifier,
  type Preprocessing,
} from '@xai/core';
import { loadOnnxModel } from '@xai/onnx';
import type { DemoIndex } from '../../demo-assets.js';
import type { ModelInfo, ModelSource, PassEngine, PreprocessingChoice } from '../protocol.js';
import { passEngine } from '../logic/backend-badge.js';
import { wasmThreadCount } from './backend.js';
import { onnxRuntime } from './onnx-runtime.js';
import { poolPasses } from './pool.js';
import { buildTfjsModel, filesSpec, type TfjsModelSpec } from './tfjs-models.js';
import { checkModelFits } from '../logic/model-fit.js';
import { UNTRAINED_DEMO_SEED } from '../logic/demo-fallback.js';

export interface LoadedModel {
  model: Classifier;
  info: ModelInfo;
  /** Who computes the layers and gradients now (an ONNX model's gradient graph may have fallen back since loading). */
  gradients(): string | undefined;
}

interface Opened {
  model: Classifier;
  name: string;
  note?: string;
  ortThreads?: number;
  /** How to build the model again, when it runs on the tfjs engine (a pool's workers do). */
  spec?: TfjsModelSpec;
}

/**
 * Loads the model the user chose and checks that the app can explain it. The passes of a model on
 * the tfjs engine may go to a pool of workers (pool.ts); `onPassesMoved` hears when that pool
 * fails and they come back here.
 */
export async function loadModel(
  source: ModelSource,
  demoBase: string,
  choice: PreprocessingChoice = {},
  onPassesMoved: (passes: PassEngine) => void = () => undefined,
): Promise<LoadedModel> {
  const { model, name, note, ortThreads, spec } = await open(source, demoBase, preprocessingOf(choice));
  try {
    checkModelFits(model);
    const run = spec ? poolPasses(model, spec, onPassesMoved) : { model, passes: passEngine(model.engine, ortThreads ?? 1) };
    const gradients = () => gradientEngine(model);
    return { model: run.model, info: describe(run.model, name, describeChoice(choice, model.preprocessing), run.passes, gradients(), note), gradients };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** The page's choice as loaders take it: a preset name, or the resize laid over the preset (or the model's own). */
function preprocessingOf(choice: PreprocessingChoice): string | Partial<Preprocessing> | undefined {
  if (!choice.resize) return choice.preset;
  const preset = choice.preset ? preprocessingPreset(choice.preset) : {};
  return { ...preset, resize: choice.resize as Preprocessing['resize'] };
}

function describeChoice(choice: PreprocessingChoice, applied: Preprocessing): string {
  return `${choice.preset ?? 'from the model'}; ${geometryInWords(applied)}`;
}

async function open(
  source: ModelSource,
  demoBase: string,
  preprocessing: string | Partial<Preprocessing> | undefined,
): Promise<Opened> {
  switch (source.kind) {
    case 'demo':
      return openDemo(demoBase, preprocessing);
    case 'tfjs': {
      const spec = await filesSpec(source.files, preprocessing);
      const json = source.files.find((f) => f.name.endsWith('.json'));
      return { model: await buildTfjsModel(spec), name: json?.name ?? 'model.json', spec };
    }
    case 'onnx': {
      // onnxruntime-web runs the forward passes, and the layers and gradients through gradient
      // graphs (the tfjs graph where one cannot be built). A model the tfjs graph cannot run loads
      // black-box on onnxruntime-web alone.
      const runtime = await onnxRuntime(wasmThreadCount());
      const model = await loadOnnxModel(new Uint8Array(source.bytes), { preprocessing, ort: runtime.ort });
      // Without an onnxruntime-web session the tfjs graph runs the passes, as a pool's workers can.
      const onTfjs = !model.engine.startsWith('onnxruntime');
      return { model, name: source.name, ortThreads: runtime.threads(), spec: onTfjs ? { kind: 'onnx', bytes: source.bytes, preprocessing } : undefined };
    }
    default:
      throw new XaiError(`Unknown model source ${JSON.stringify((source as { kind: unknown }).kind)}`);
  }
}

/**
 * The zoo's trained demo model when the build found it; otherwise the same architecture with its
 * seeded initial weights, so the app still works (with meaningless explanations).
 */
async function openDemo(demoBase: string, preprocessing: string | Partial<Preprocessing> | undefined): Promise<Opened> {
  const index = (await fetch(new URL('index.json', demoBase))
    .then((r) => (r.ok ? r.json() : undefined))
    .catch(() => undefined)) as DemoIndex | undefined;
  const name = 'demo shapes classifier';
  if (index?.model) {
    const spec: TfjsModelSpec = { kind: 'demo', url: new URL('model/model.json', demoBase).href, preprocessing };
    return { model: await buildTfjsModel(spec), name, spec };
  }
  const spec: TfjsModelSpec = { kind: 'demo-untrained', seed: UNTRAINED_DEMO_SEED, preprocessing };
  return { model: await buildTfjsModel(spec), name, spec, note: 'untrained weights: the trained model was not found when the app was built' };
}

/**
 * Who computes a white-box model's layers and gradients: the model's own word where it has one
 * (an ONNX model: `onnxruntime-web (gradient graph)`, or the tfjs graph and why), else the tfjs
 * backend. Undefined for black-box models.
 */
export function gradientEngine(model: Classifier): string | undefined {
  if (!isWhiteBox(model)) return undefined;
  const own = (model as { gradientEngine?: unknown }).gradientEngine;
  return typeof own === 'string' ? own : `tfjs:${tf.getBackend()}`;
}

function describe(model: Classifier, name: string, preprocessing: string, passes: PassEngine, gradients: string | undefined, note?: string): ModelInfo {
  const whiteBox = isWhiteBox(model);
  return {
    name,
    input: model.input,
    numClasses: model.numClasses,
    classNames: model.classNames,
    engine: model.engine,
    passes,
    ...(gradients ? { gradients } : {}),
    preprocessing,
    applied: { ...model.preprocessing, mean: [...model.preprocessing.mean], std: [...model.preprocessing.std] },
    whiteBox,
    featureLayers: whiteBox ? model.layers().filter((l) => l.camTarget) : [],
    defaultLayer: whiteBox ? defaultFeatureLayerOrNone(model) : undefined,
    note,
  };
}
