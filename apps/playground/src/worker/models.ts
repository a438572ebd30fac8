import {
  geometryInWords,
  LayersClassifier,
  XaiError,
  defaultFeatureLayerOrNone,
  isWhiteBox,
  loadTfjsClassifier,
  filesSource,
  urlSource,
  preprocessingPreset,
  type Classifier,
  type Preprocessing,
} from '@xai/core';
import { loadOnnxModel } from '@xai/onnx';
import { DEMO_MODEL, buildDemoArchitecture } from '@xai/zoo';
import type { DemoIndex } from '../../demo-assets.js';
import type { ModelInfo, ModelSource, PreprocessingChoice } from '../protocol.js';
import { passEngine } from '../logic/backend-badge.js';
import { wasmThreadCount } from './backend.js';
import { onnxRuntime } from './onnx-runtime.js';
import { checkModelFits } from '../logic/model-fit.js';
import { UNTRAINED_DEMO_SEED } from '../logic/demo-fallback.js';

export interface LoadedModel {
  model: Classifier;
  info: ModelInfo;
}

/** Loads the model the user chose and checks that the app can explain it. */
export async function loadModel(source: ModelSource, demoBase: string, choice: PreprocessingChoice = {}): Promise<LoadedModel> {
  const { model, name, note, ortThreads } = await open(source, demoBase, preprocessingOf(choice));
  try {
    checkModelFits(model);
    return { model, info: describe(model, name, describeChoice(choice, model.preprocessing), note, ortThreads) };
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
): Promise<{ model: Classifier; name: string; note?: string; ortThreads?: number }> {
  switch (source.kind) {
    case 'demo':
      return openDemo(demoBase, preprocessing);
    case 'tfjs': {
      const model = await loadTfjsClassifier(filesSource(source.files), { preprocessing });
      const json = source.files.find((f) => f.name.endsWith('.json'));
      return { model, name: json?.name ?? 'model.json' };
    }
    case 'onnx': {
      // onnxruntime-web runs the forward passes; layers and gradients come from the tfjs graph.
      // A model the graph cannot run loads black-box on onnxruntime-web alone.
      const runtime = await onnxRuntime(wasmThreadCount());
      const model = await loadOnnxModel(new Uint8Array(source.bytes), { preprocessing, ort: runtime.ort });
      return { model, name: source.name, ortThreads: runtime.threads() };
    }
    default:
      throw new XaiError(`Unknown model source ${JSON.stringify((source as { kind: unknown }).kind)}`);
  }
}

/**
 * The zoo's trained demo model when the build found it; otherwise the same architecture with its
 * seeded initial weights, so the app still works (with meaningless explanations).
 */
async function openDemo(demoBase: string, preprocessing: string | Partial<Preprocessing> | undefined): Promise<{ model: Classifier; name: string; note?: string }> {
  const index = (await fetch(new URL('index.json', demoBase))
    .then((r) => (r.ok ? r.json() : undefined))
    .catch(() => undefined)) as DemoIndex | undefined;
  if (index?.model) {
    const url = new URL('model/model.json', demoBase).href;
    return { model: await loadTfjsClassifier(urlSource(url), { preprocessing }), name: 'demo shapes classifier' };
  }
  const layers = buildDemoArchitecture({ size: DEMO_MODEL.inputSize, numClasses: DEMO_MODEL.classNames.length, seed: UNTRAINED_DEMO_SEED });
  const model = new LayersClassifier(layers, { classNames: DEMO_MODEL.classNames, preprocessing: preprocessing ?? DEMO_MODEL.preprocessing });
  return { model, name: 'demo shapes classifier', note: 'untrained weights: the trained model was not found when the app was built' };
}

function describe(model: Classifier, name: string, preprocessing: string, note?: string, ortThreads = 1): ModelInfo {
  const whiteBox = isWhiteBox(model);
  return {
    name,
    input: model.input,
    numClasses: model.numClasses,
    classNames: model.classNames,
    engine: model.engine,
    passes: passEngine(model.engine, ortThreads),
    preprocessing,
    applied: { ...model.preprocessing, mean: [...model.preprocessing.mean], std: [...model.preprocessing.std] },
    whiteBox,
    featureLayers: whiteBox ? model.layers().filter((l) => l.camTarget) : [],
    defaultLayer: whiteBox ? defaultFeatureLayerOrNone(model) : undefined,
    note,
  };
}
