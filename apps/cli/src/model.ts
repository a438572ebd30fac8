import { extname } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { MAX_WORKERS, RESIZE_MODES, resolvePreprocessing, selectBackend, XaiError, type BackendChoice, type Classifier, type Preprocessing, type ResizeMode } from '@xai/core';
import { defaultWorkers, loadTfjsModelFile } from '@xai/core/node';
import { loadOnnxModel } from '@xai/onnx/node';
import { loadDemoModel } from '@xai/zoo/node';
import { type OptionSpec, type ParsedArgs, UsageError, choiceOption, intOption, stringOption } from './command.js';

export const MODEL_OPTIONS: Record<string, OptionSpec> = {
  model: { type: 'string', value: 'PATH', description: 'an .onnx file or a tfjs model.json (default: the bundled demo model)' },
  preprocessing: {
    type: 'string',
    value: 'PRESET',
    description:
      "input normalisation of the model: imagenet, torchvision (imagenet with --resize pil-bilinear --resize-shorter 256 --center-crop 224), unit ([0,1]), symmetric ([-1,1]), raw (default: the model's metadata, else unit)",
  },
  resize: {
    type: 'string',
    value: 'MODE',
    description: `how images are resized: ${RESIZE_MODES.join(', ')} (pil-*: Pillow's resampling, what torchvision's Resize gives; bilinear: tf.image.resize without antialiasing, as Keras)`,
    default: 'bilinear',
  },
  'resize-shorter': { type: 'string', value: 'N', description: "first resize the shorter side to N, keeping the aspect (torchvision's Resize(N))" },
  'center-crop': { type: 'string', value: 'N', description: "then crop the centre N×N (torchvision's CenterCrop(N)); the result is resized to the model size if it differs" },
  backend: { type: 'string', value: 'NAME', description: 'tfjs backend: wasm, cpu, tfjs-node (default: the best available)' },
  engine: { type: 'string', value: 'auto|tfjs|onnxruntime', description: 'who runs forward passes of an ONNX model (tfjs models run on tfjs)', default: 'auto' },
  workers: {
    type: 'string',
    value: 'N',
    description: `worker threads that share the forward passes of a model on tfjs (tfjs models, ONNX models on --engine tfjs); 1 runs them on the main thread; results are the same for every N. Does nothing for ONNX models on onnxruntime, which use its own threads (default: the number of cores, ${defaultWorkers()} here)`,
  },
};

export interface OpenedModel {
  model: Classifier;
  /** What was loaded, for reports. */
  source: string;
  backend: BackendChoice;
}

/** Activates a backend and loads the model named by --model (or the demo model). */
export async function openModel(args: ParsedArgs): Promise<OpenedModel> {
  const path = stringOption(args, 'model');
  const preprocessing = preprocessingOption(args);
  const engine = choiceOption(args, 'engine', ['auto', 'tfjs', 'onnxruntime'] as const, 'auto');
  // Absent: the loaders' default (the cores), and no warning if workers cannot be used.
  const workers = args.values.workers === undefined ? undefined : intOption(args, 'workers', defaultWorkers(), 1, MAX_WORKERS);
  const kind = path ? extname(path).toLowerCase() : undefined;
  if (engine === 'onnxruntime' && kind !== '.onnx') {
    const what = path ? `--model ${path} is not an .onnx file` : 'without --model the demo model (a tfjs model) is used';
    throw new UsageError(`--engine onnxruntime runs ONNX models only; ${what}`);
  }
  const backend = await selectBackend({ prefer: stringOption(args, 'backend') });
  if (!path) return { model: await loadDemoModel({ preprocessing, workers }), source: 'demo model (@xai/zoo)', backend };
  if (kind === '.onnx') {
    return { model: await loadOnnxModel(path, { preprocessing, engine, workers }), source: path, backend };
  }
  if (kind === '.json') {
    return { model: await loadTfjsModelFile(path, { preprocessing, workers }), source: path, backend };
  }
  throw new XaiError(`Cannot load ${path}: accepted models are .onnx files and tfjs model.json files`);
}

/**
 * --preprocessing with the size options laid over it: a preset name alone, or an object whose
 * missing fields come from the preset (or the model's metadata when no preset is given).
 */
export function preprocessingOption(args: ParsedArgs): string | Partial<Preprocessing> | undefined {
  const preset = stringOption(args, 'preprocessing');
  const resize = args.values.resize === undefined ? undefined : choiceOption(args, 'resize', RESIZE_MODES, 'bilinear');
  const resizeShorter = args.values['resize-shorter'] === undefined ? undefined : intOption(args, 'resize-shorter', 0, 1, 16384);
  const centerCrop = args.values['center-crop'] === undefined ? undefined : intOption(args, 'center-crop', 0, 1, 16384);
  if (resize === undefined && resizeShorter === undefined && centerCrop === undefined) return preset;
  const geometry: Partial<Preprocessing> = { resize: resize as ResizeMode | undefined, resizeShorter, centerCrop };
  if (preset === undefined) return geometry;
  return { ...presetOrUsage(preset), ...Object.fromEntries(Object.entries(geometry).filter(([, v]) => v !== undefined)) };
}

function presetOrUsage(name: string): Preprocessing {
  try {
    return resolvePreprocessing(name);
  } catch (error) {
    throw new UsageError(`--preprocessing: ${(error as Error).message}`);
  }
}
