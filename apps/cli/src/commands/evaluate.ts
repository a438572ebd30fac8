import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { npyToFloat32, saliencyMap, XaiError, type Classifier, type SaliencyMap } from '@xai/core';
import { readNpyFile } from '@xai/core/node';
import { deletion, insertion, type CurveResult, type PixelOrder, type Substrate } from '@xai/metrics';
import { type Command, type ParsedArgs, UsageError, choiceOption, intOption, listOption, stringOption } from '../command.js';
import type { Context } from '../context.js';
import { writeCurveFigure } from '../figures.js';
import { imageItems, listImages, loadImageInput, tensorItems, type LoadedInput } from '../inputs.js';
import { METHOD_OPTIONS, METHODS, type MethodName, methodSettings, resolveClassArg, runMethod } from '../methods.js';
import { MODEL_OPTIONS, openModel } from '../model.js';
import { predictTop } from '../prediction.js';
import { progressReporter } from '../progress.js';
import { reportFailure } from '../report.js';

const METRICS = ['insertion', 'deletion'] as const;
type MetricName = (typeof METRICS)[number];

export const evaluate: Command = {
  name: 'evaluate',
  summary: 'Score a saliency map with Insertion and Deletion (curves and AUC).',
  usage:
    'xai evaluate <image…> [--model PATH] (--saliency FILE.npy | --method M) [--metric insertion,deletion] [--step N] [--substrate blur|zeros|mean] [--order FILE.npy] [--tensor FILE.npy] [--json]',
  options: {
    ...MODEL_OPTIONS,
    saliency: { type: 'string', value: 'FILE.npy', description: 'a saliency map, H×W or K×H×W (with --class)' },
    method: { type: 'string', value: 'M', description: `compute the map first: ${METHODS.join(', ')}` },
    metric: { type: 'string', value: 'LIST', description: 'insertion, deletion or both', default: 'insertion,deletion' },
    step: { type: 'string', value: 'N', description: 'pixels changed per step (default: the input width)' },
    substrate: {
      type: 'string',
      value: 'blur|zeros|mean',
      description: 'what deletion fills in and insertion starts from (default: zeros for deletion, blur for insertion)',
    },
    order: { type: 'string', value: 'FILE.npy', description: 'an explicit pixel order (H·W indices, most salient first)' },
    tensor: { type: 'string', value: 'FILE.npy', description: "a preprocessed input in the model's layout, instead of images" },
    json: { type: 'boolean', description: 'print the results as JSON' },
    out: { type: 'string', short: 'o', value: 'DIR', description: 'folder for the curve figures', default: 'xai-out' },
    'no-figures': { type: 'boolean', description: 'do not write curve figures' },
    ...METHOD_OPTIONS,
  },
  async run(args, context) {
    const metrics = listOption(args, 'metric', METRICS, METRICS);
    const sources = ['saliency', 'method', 'order'].filter((k) => args.values[k] !== undefined);
    if (sources.length !== 1) throw new UsageError('give exactly one of --saliency FILE.npy, --method M or --order FILE.npy', 'evaluate');
    const method = args.values.method === undefined ? undefined : choiceOption(args, 'method', METHODS, 'rise');
    const tensorPath = stringOption(args, 'tensor');
    if (!tensorPath && args.positionals.length === 0) throw new UsageError('give at least one image, or --tensor FILE.npy', 'evaluate');
    const substrate = args.values.substrate === undefined ? undefined : choiceOption(args, 'substrate', ['blur', 'zeros', 'mean'] as const, 'zeros');
    const step = args.values.step === undefined ? undefined : intOption(args, 'step', 1);
    const { model } = await openModel(args);
    const progress = progressReporter(context.stderr, { quiet: Boolean(args.values.quiet) || Boolean(args.values.json) });
    const results: Record<string, unknown>[] = [];
    let failures = 0;
    try {
      const target = resolveClassArg(stringOption(args, 'class'), model);
      const inputs: LoadedInput[] = [];
      if (tensorPath) {
        const { items, batch } = await tensorItems(tensorPath, model);
        for (const item of items) inputs.push({ item, tensor: tf.slice(batch, [item.index ?? 0, 0, 0, 0], [1, -1, -1, -1]) });
        batch.dispose();
      }
      const images = tensorPath ? [] : imageItems(await listImages(args.positionals));
      for (const next of [...inputs.map((i) => i.item), ...images]) {
        let input = inputs.find((i) => i.item === next);
        try {
          input ??= await loadImageInput(next, model);
          const ranking = await rankingFor(args, method, model, input, target, context, progress);
          const curves: Partial<Record<MetricName, CurveResult>> = {};
          for (const metric of metrics) {
            const run = metric === 'insertion' ? insertion : deletion;
            curves[metric] = await run(model, input.tensor, ranking, {
              step,
              substrate: substrate as Substrate | undefined,
              classIndex: target ?? (method && 'classIndex' in ranking ? ranking.classIndex : undefined),
              signal: context.signal,
              onProgress: progress.onProgress,
              batchSize: intOption(args, 'batch-size', 32),
            });
            progress.done();
          }
          const classIndex = (curves.insertion ?? curves.deletion)!.classIndex;
          const result: Record<string, unknown> = { input: next.path, class: classIndex };
          for (const [metric, curve] of Object.entries(curves)) {
            result[metric] = { auc: curve.auc, scores: curve.scores, protocol: curve.protocol };
          }
          results.push(result);
          if (!args.values['no-figures']) {
            const dir = join(stringOption(args, 'out') ?? 'xai-out', next.stem);
            await mkdir(dir, { recursive: true });
            await writeCurveFigure(join(dir, 'curves.png'), Object.values(curves), model.classNames?.[classIndex]);
          }
          if (!args.values.json) {
            const aucs = Object.entries(curves).map(([m, c]) => `${m} AUC ${c.auc.toFixed(4)}`).join(', ');
            context.stdout.write(`${next.path}: class ${classIndex}: ${aucs}\n`);
          }
        } catch (error) {
          progress.done();
          if ((error as Error).name === 'AbortError' || error instanceof UsageError) throw error;
          failures++;
          reportFailure(context, next.path, error);
        } finally {
          input?.tensor.dispose();
        }
      }
    } finally {
      model.dispose();
    }
    if (args.values.json) context.stdout.write(JSON.stringify(results.length === 1 ? results[0] : results, null, 2) + '\n');
    if (failures) throw new XaiError(`${failures} inputs failed`);
  },
};

/** The map (or explicit order) that ranks the pixels. */
async function rankingFor(
  args: ParsedArgs,
  method: MethodName | undefined,
  model: Classifier,
  input: LoadedInput,
  target: number | undefined,
  context: Context,
  progress: ReturnType<typeof progressReporter>,
): Promise<SaliencyMap | PixelOrder> {
  const orderPath = stringOption(args, 'order');
  if (orderPath) return { order: (await readNpyFile(orderPath)).data as PixelOrder['order'] };
  if (method) {
    const maps = await runMethod(method, model, input.tensor, methodSettings(args), target, {
      signal: context.signal,
      onProgress: progress.onProgress,
    });
    progress.done();
    if (maps.length === 1) return maps[0];
    const { top } = await predictTop(model, input.tensor, 1);
    return maps.find((m) => m.classIndex === (target ?? top[0].classIndex)) ?? maps[0];
  }
  return readSaliencyFile(stringOption(args, 'saliency')!, model, target);
}

async function readSaliencyFile(path: string, model: Classifier, target: number | undefined): Promise<SaliencyMap> {
  const array = await readNpyFile(path);
  const values = npyToFloat32(array);
  const { height, width } = model.input;
  const shape = array.shape;
  const fits = shape.slice(-2).join() === `${height},${width}`;
  if (!fits || shape.length < 2 || shape.length > 3) {
    throw new XaiError(`${path} has shape (${shape.join(', ')}); a saliency map must be (${height}, ${width}) or (K, ${height}, ${width})`);
  }
  let data = values;
  if (shape.length === 3) {
    if (target === undefined) throw new UsageError(`${path} holds ${shape[0]} maps (K×H×W); choose one with --class`, 'evaluate');
    if (target >= shape[0]) throw new XaiError(`--class ${target} is out of range for ${path}, which has ${shape[0]} maps`);
    data = values.slice(target * height * width, (target + 1) * height * width);
  }
  // The class a file's map explains is unknown unless --class says; metrics then track the top class.
  return saliencyMap({ data, height, width, classIndex: target ?? -1, method: 'file', params: { file: path } });
}
