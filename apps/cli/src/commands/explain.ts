import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { XaiError, type SaliencyMap } from '@xai/core';
import { writeNpyFile } from '@xai/core/node';
import { binaryMasks, gaussianMasks } from '@xai/rise';
import { readMasksFile, writeMasksFile } from '@xai/rise/node';
import { type Command, type ParsedArgs, UsageError, listOption, stringOption } from '../command.js';
import type { Context } from '../context.js';
import { writeExplanationFigure } from '../figures.js';
import { imageItems, listImages, loadImageInput, tensorItems, type InputItem, type LoadedInput } from '../inputs.js';
import { METHOD_OPTIONS, METHODS, type MethodName, methodSettings, resolveClassArg, runMethod } from '../methods.js';
import { MODEL_OPTIONS, openModel } from '../model.js';
import { classLabel, predictTop } from '../prediction.js';
import { progressReporter } from '../progress.js';
import { reportFailure } from '../report.js';

const FORMATS = ['png', 'npy', 'json'] as const;

export const explain: Command = {
  name: 'explain',
  summary: 'Explain images: saliency maps by RISE and Abs-CAM, as figures, .npy arrays and JSON.',
  usage: 'xai explain <image…> [--model PATH] [--method rise|rise-gaussian|abs-cam-init|abs-cam-final|all] [--out DIR]',
  options: {
    ...MODEL_OPTIONS,
    method: { type: 'string', value: 'M', description: `${METHODS.join(', ')} or all (comma-separated list allowed)`, default: 'rise' },
    out: { type: 'string', short: 'o', value: 'DIR', description: 'output folder', default: 'xai-out' },
    format: { type: 'string', value: 'LIST', description: 'what to write: png,npy,json', default: 'png,npy,json' },
    ...METHOD_OPTIONS,
    masks: { type: 'string', value: 'FILE.npy', description: 'RISE: use these masks (N×1×H×W or N×H×W) instead of drawing them' },
    'save-masks': { type: 'string', value: 'FILE.npy', description: 'RISE: save the masks used' },
    tensor: { type: 'string', value: 'FILE.npy', description: "a preprocessed input in the model's layout, instead of images" },
  },
  async run(args, context) {
    const methods = parseMethods(args);
    const formats = listOption(args, 'format', FORMATS, FORMATS);
    const tensorPath = stringOption(args, 'tensor');
    if (!tensorPath && args.positionals.length === 0) throw new UsageError('give at least one image, or --tensor FILE.npy', 'explain');
    const settings = methodSettings(args);
    const outDir = stringOption(args, 'out') ?? 'xai-out';
    const { model, source, backend } = await openModel(args);
    const progress = progressReporter(context.stderr, { quiet: Boolean(args.values.quiet) });
    const target = resolveClassArg(stringOption(args, 'class'), model);
    await prepareMasks(args, methods, settings, model.input);

    const inputs = await collectInputs(args, tensorPath, model);
    let failures = 0;
    try {
      for (const next of inputs.items) {
        let input: LoadedInput | undefined;
        try {
          input = await inputs.load(next);
          await explainOne(input, { methods, formats, outDir, settings, target, args, context, progress, model, source, backend: backend.id });
        } catch (error) {
          progress.done();
          if ((error as Error).name === 'AbortError') throw error;
          failures++;
          reportFailure(context, `${next.path}${next.index !== undefined ? `[${next.index}]` : ''}`, error);
        } finally {
          input?.tensor.dispose();
        }
      }
    } finally {
      inputs.dispose();
      model.dispose();
    }
    if (failures > 0) throw new XaiError(`${failures} of ${inputs.items.length} inputs failed`);
  },
};

function parseMethods(args: ParsedArgs): MethodName[] {
  const raw = stringOption(args, 'method') ?? 'rise';
  if (raw === 'all') return [...METHODS];
  return listOption(args, 'method', METHODS, ['rise']);
}

/** --masks replaces generation; --save-masks writes the masks the run will draw. */
async function prepareMasks(
  args: ParsedArgs,
  methods: MethodName[],
  settings: ReturnType<typeof methodSettings>,
  input: { height: number; width: number },
): Promise<void> {
  const given = stringOption(args, 'masks');
  const save = stringOption(args, 'save-masks');
  const riseMethods = methods.filter((m) => m.startsWith('rise'));
  if ((given || save) && riseMethods.length !== 1) {
    throw new UsageError('--masks and --save-masks go with exactly one RISE method (--method rise or rise-gaussian)', 'explain');
  }
  const kind = riseMethods[0] === 'rise-gaussian' ? 'gaussian' : 'binary';
  if (given) {
    settings.masks = await readMasksFile(given, { kind, p1: args.values.p1 !== undefined ? settings.p1 : undefined });
  }
  if (save) {
    const { n, s, seed } = settings;
    const source = settings.masks ?? (kind === 'binary' ? binaryMasks({ n, s, p1: settings.p1, seed, ...input }) : gaussianMasks({ n, s, seed, ...input }));
    await writeMasksFile(save, source, { batchSize: settings.batchSize });
  }
}

interface Inputs {
  items: InputItem[];
  load(item: InputItem): Promise<LoadedInput>;
  dispose(): void;
}

async function collectInputs(args: ParsedArgs, tensorPath: string | undefined, model: Parameters<typeof loadImageInput>[1]): Promise<Inputs> {
  if (tensorPath) {
    const { items, batch } = await tensorItems(tensorPath, model);
    return {
      items,
      load: async (item) => ({ item, tensor: tf.slice(batch, [item.index ?? 0, 0, 0, 0], [1, -1, -1, -1]) }),
      dispose: () => batch.dispose(),
    };
  }
  return { items: imageItems(await listImages(args.positionals)), load: (item) => loadImageInput(item, model), dispose: () => {} };
}

interface ExplainRun {
  methods: MethodName[];
  formats: string[];
  outDir: string;
  settings: ReturnType<typeof methodSettings>;
  target: number | undefined;
  args: ParsedArgs;
  context: Context;
  progress: ReturnType<typeof progressReporter>;
  model: Awaited<ReturnType<typeof openModel>>['model'];
  source: string;
  backend: string;
}

async function explainOne(input: LoadedInput, run: ExplainRun): Promise<void> {
  const { model, context } = run;
  const dir = join(run.outDir, input.item.stem);
  await mkdir(dir, { recursive: true });
  const { top } = await predictTop(model, input.tensor, Math.min(5, model.numClasses));
  const targetIndex = run.target ?? top[0].classIndex;
  if (!run.args.values.quiet) context.stderr.write(`${input.item.path}: ${classLabel(top[0])} p=${top[0].probability.toFixed(3)}\n`);
  const results: Record<string, unknown> = {};
  for (const method of run.methods) {
    const started = performance.now();
    const maps = await runMethod(method, model, input.tensor, run.settings, run.target, {
      signal: run.context.signal,
      onProgress: (e) => run.progress.onProgress({ ...e, stage: `${method} ${e.stage}` }),
    });
    run.progress.done();
    const seconds = (performance.now() - started) / 1000;
    const shown = maps.find((m) => m.classIndex === targetIndex) ?? maps[0];
    const files: string[] = [];
    if (run.formats.includes('npy')) {
      const path = join(dir, `${method}.npy`);
      await writeNpyFile(path, mapsToNpy(maps));
      files.push(path);
    }
    if (run.formats.includes('png')) {
      const path = join(dir, `${method}.png`);
      const probability = top.find((t) => t.classIndex === shown.classIndex)?.probability;
      await writeExplanationFigure(path, input, shown, model, probability);
      files.push(path);
    }
    results[method] = { classIndex: shown.classIndex, className: shown.className, params: shown.params, seconds, files, maps: maps.length };
  }
  if (run.formats.includes('json')) {
    const report = {
      input: { path: input.item.path, index: input.item.index },
      model: { source: run.source, engine: model.engine, backend: run.backend, input: model.input, numClasses: model.numClasses },
      prediction: top,
      target: { classIndex: targetIndex, className: model.classNames?.[targetIndex] },
      methods: results,
    };
    await writeFile(join(dir, 'explain.json'), JSON.stringify(report, null, 2) + '\n');
  }
}

/** One map → H×W; several (RISE, every class) → K×H×W in class order. */
function mapsToNpy(maps: SaliencyMap[]) {
  const { height, width } = maps[0];
  if (maps.length === 1) return { dtype: 'float32' as const, shape: [height, width], data: maps[0].data };
  const sorted = [...maps].sort((a, b) => a.classIndex - b.classIndex);
  const data = new Float32Array(sorted.length * height * width);
  sorted.forEach((m, i) => data.set(m.data, i * height * width));
  return { dtype: 'float32' as const, shape: [sorted.length, height, width], data };
}
