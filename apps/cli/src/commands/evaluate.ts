import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { classIndex as resolveClassIndex, npyToFloat32, runPrepared, saliencyMap, XaiError, type Classifier, type PreparedMethod, type SaliencyMap } from '@xai/core';
import { readNpyFile } from '@xai/core/node';
import { checkPixelOrder, deletion, insertion, saliencyOrder, type CurveResult, type PixelOrder, type Substrate } from '@xai/metrics';
import { type Command, type OptionSpec, type ParsedArgs, UsageError, choiceOption, intOption, listOption, stringOption, tensorOrImages } from '../command.js';
import type { Context } from '../context.js';
import { writeCurveFigure } from '../figures.js';
import { imageItems, listImages, loadImageInput, tensorItems, type LoadedInput } from '../inputs.js';
import { methodList, methodOptions, parseMethodList, prepareMethods, targetsArg } from '../methods.js';
import { registry } from '../registry.js';
import { MODEL_OPTIONS, openModel } from '../model.js';
import { predictTop } from '../prediction.js';
import { progressReporter } from '../progress.js';
import { reportFailure } from '../report.js';

const METRICS = ['insertion', 'deletion'] as const;
type MetricName = (typeof METRICS)[number];

export const evaluate: Command = {
  name: 'evaluate',
  summary: 'Score a saliency map with Insertion and Deletion (curves and AUC).',
  get usage() {
    return (
      'xai evaluate <image…> [--model PATH] (--saliency FILE.npy | --method ID | --order FILE.npy) [--order FILE.npy] ' +
      `[--metric insertion,deletion] [--step N] [--substrate blur|zeros|mean] [--tensor FILE.npy] [--json]\n\nMethods:\n${methodList()}`
    );
  },
  get options(): Record<string, OptionSpec> {
    return {
    ...MODEL_OPTIONS,
    saliency: { type: 'string', value: 'FILE.npy', description: 'a saliency map, H×W or K×H×W (with --class)' },
    method: { type: 'string', value: 'ID', description: `compute the map first: ${registry.ids().join(', ')}` },
    metric: { type: 'string', value: 'LIST', description: 'insertion, deletion or both', default: 'insertion,deletion' },
    step: { type: 'string', value: 'N', description: 'pixels changed per step (default: the input width)' },
    substrate: {
      type: 'string',
      value: 'blur|zeros|mean',
      description: 'what deletion fills in and insertion starts from (default: zeros for deletion, blur for insertion)',
    },
    order: { type: 'string', value: 'FILE.npy', description: 'an explicit pixel order (H·W indices, most salient first); with a map, it breaks the map\'s ties' },
    tensor: { type: 'string', value: 'FILE.npy', description: "a preprocessed input in the model's layout, instead of images" },
    json: { type: 'boolean', description: 'print the results as JSON' },
    out: { type: 'string', short: 'o', value: 'DIR', description: 'folder for the curve figures', default: 'xai-out' },
    'no-figures': { type: 'boolean', description: 'do not write curve figures' },
    ...methodOptions(),
    };
  },
  async run(args, context) {
    const metrics = [...new Set(listOption(args, 'metric', METRICS, METRICS))];
    if (args.values.saliency !== undefined && args.values.method !== undefined) {
      throw new UsageError('--saliency and --method cannot go together: both give the map to score (--saliency reads it, --method computes it); choose one', 'evaluate');
    }
    if (args.values.saliency === undefined && args.values.method === undefined && args.values.order === undefined) {
      throw new UsageError('give one of --saliency FILE.npy or --method ID (with --order FILE.npy to break ties), or --order FILE.npy alone', 'evaluate');
    }
    if (args.values['no-figures'] && args.values.out !== undefined) {
      throw new UsageError('--out and --no-figures cannot go together: --out is the folder for the curve figures, and --no-figures writes none', 'evaluate');
    }
    const methods = args.values.method === undefined ? [] : parseMethodList(args, 'method', []);
    if (methods.length > 1) throw new UsageError('--method takes one method here; use `xai compare` for several', 'evaluate');
    const tensorPath = tensorOrImages(args, 'evaluate');
    const substrate = args.values.substrate === undefined ? undefined : choiceOption(args, 'substrate', ['blur', 'zeros', 'mean'] as const, 'zeros');
    const step = args.values.step === undefined ? undefined : intOption(args, 'step', 1);
    const { model } = await openModel(args);
    let prepared: PreparedMethod | undefined;
    try {
      [prepared] = prepareMethods(methods, model, args, () => targetsArg(args) ?? 'top');
    } catch (error) {
      model.dispose();
      throw error;
    }
    const progress = progressReporter(context.stderr, { quiet: Boolean(args.values.quiet) || Boolean(args.values.json) });
    const results: Record<string, unknown>[] = [];
    let failures = 0;
    try {
      const target = classArg(args, model);
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
          input ??= await loadImageInput(next, model, { onNote: (m) => context.stderr.write(`${m}\n`) });
          const { ranking, classIndex: mapClass } = await rankingFor(args, prepared, model, input, target, context, progress);
          const curves: Partial<Record<MetricName, CurveResult>> = {};
          for (const metric of metrics) {
            const run = metric === 'insertion' ? insertion : deletion;
            curves[metric] = await run(model, input.tensor, ranking, {
              step,
              substrate: substrate as Substrate | undefined,
              classIndex: target ?? mapClass,
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

/** One class from --class (an index or a name), or undefined for the top class. */
function classArg(args: ParsedArgs, model: Classifier): number | undefined {
  const targets = targetsArg(args);
  if (targets === undefined || targets === 'top') return undefined;
  if ((typeof targets !== 'number' && typeof targets !== 'string') || targets === 'all') throw new UsageError('--class takes one class here (top, an index or a name)', 'evaluate');
  try {
    return resolveClassIndex(model, targets);
  } catch (error) {
    throw new UsageError((error as Error).message, 'evaluate');
  }
}

/** The pixel ranking: a map's (computed or read), an explicit order, or a map with the order breaking ties. */
async function rankingFor(
  args: ParsedArgs,
  prepared: PreparedMethod | undefined,
  model: Classifier,
  input: LoadedInput,
  target: number | undefined,
  context: Context,
  progress: ReturnType<typeof progressReporter>,
): Promise<{ ranking: SaliencyMap | PixelOrder; classIndex?: number }> {
  const orderPath = stringOption(args, 'order');
  const order = orderPath ? checkPixelOrder((await readNpyFile(orderPath)).data as PixelOrder['order'], model.input.height * model.input.width) : undefined;
  let map: SaliencyMap | undefined;
  if (prepared) {
    const maps = await runPrepared(prepared, model, input.tensor, { signal: context.signal, onProgress: progress.onProgress });
    progress.done();
    map = maps[0];
  } else if (args.values.saliency !== undefined) {
    map = await readSaliencyFile(stringOption(args, 'saliency')!, model, target);
  }
  if (!map) return { ranking: { order: order! } };
  if (order) return { ranking: { order: saliencyOrder(map.data, order) }, classIndex: prepared ? map.classIndex : undefined };
  return { ranking: map, classIndex: prepared ? map.classIndex : undefined };
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
