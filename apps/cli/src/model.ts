import { extname } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { selectBackend, XaiError, type BackendChoice, type Classifier } from '@xai/core';
import { loadTfjsModelFile } from '@xai/core/node';
import { loadOnnxModel } from '@xai/onnx/node';
import { loadDemoModel } from '@xai/zoo/node';
import { type OptionSpec, type ParsedArgs, UsageError, choiceOption, stringOption } from './command.js';

export const MODEL_OPTIONS: Record<string, OptionSpec> = {
  model: { type: 'string', value: 'PATH', description: 'an .onnx file or a tfjs model.json (default: the bundled demo model)' },
  preprocessing: {
    type: 'string',
    value: 'PRESET',
    description: 'input normalisation of the model: imagenet, unit ([0,1]), symmetric ([-1,1]), raw (default: the model\'s metadata, else unit)',
  },
  backend: { type: 'string', value: 'NAME', description: 'tfjs backend: wasm, cpu, tfjs-node (default: the best available)' },
  engine: { type: 'string', value: 'auto|tfjs|onnxruntime', description: 'who runs forward passes of an ONNX model (tfjs models run on tfjs)', default: 'auto' },
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
  const preprocessing = stringOption(args, 'preprocessing');
  const engine = choiceOption(args, 'engine', ['auto', 'tfjs', 'onnxruntime'] as const, 'auto');
  const kind = path ? extname(path).toLowerCase() : undefined;
  if (engine === 'onnxruntime' && kind !== '.onnx') {
    const what = path ? `--model ${path} is not an .onnx file` : 'without --model the demo model (a tfjs model) is used';
    throw new UsageError(`--engine onnxruntime runs ONNX models only; ${what}`);
  }
  const backend = await selectBackend({ prefer: stringOption(args, 'backend') });
  if (!path) return { model: await loadDemoModel({ preprocessing }), source: 'demo model (@xai/zoo)', backend };
  if (kind === '.onnx') {
    return { model: await loadOnnxModel(path, { preprocessing, engine }), source: path, backend };
  }
  if (kind === '.json') {
    return { model: await loadTfjsModelFile(path, { preprocessing }), source: path, backend };
  }
  throw new XaiError(`Cannot load ${path}: accepted models are .onnx files and tfjs model.json files`);
}
