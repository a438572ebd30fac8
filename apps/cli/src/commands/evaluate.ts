import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { classIndex as resolveClassIndex, npyToFloat32, runPrepared, saliencyMap, XaiError, type Classifier, type PreparedMethod, type SaliencyMap } from '@xai/core';
import { readNpyFile } from '@xai/core/node';
import {
  checkPixelOrder,
  deletion,
  insertion,
  METRIC_NAMES,
  saliencyOrder,
  type CurveMetric,
  type CurveResult,
  type MapMetric,
  type MetricName,
  type MetricScore,
  type PixelOrder,
  type Substrate,
} from '@xai/metrics';
import { type Command, type OptionSpec, type ParsedArgs, UsageError, choiceOption, intOption, stringOption, tensorOrImages } from '../command.js';
import { findGroundTruth, locates, objectMask, type GroundTruthFiles } from '../ground-truth.js';
import { buildMetrics, metricOptions, parseMetricNames } from '../metric-options.js';
import type { Context } from '../context.js';
import { writeCurveFigure } from '../figures.js';
import { imageItems, listImages, loadImageInput, tensorItems, type LoadedInput } from '../inputs.js';
import { methodList, methodOptions, parseMethodList, prepareMethods, targetsArg } from '../methods.js';
import { registry } from '../registry.js';
import { MODEL_OPTIONS, openModel } from '../model.js';
import { predictTop } from '../prediction.js';
import { progressReporter } from '../progress.js';
import { reportFailure } from '../report.js';

const CURVES: readonly CurveMetric[] = ['insertion', 'deletion'];
const DEFAULT_METRICS: readonly MetricName[] = ['insertion', 'deletion'];

/** How `--json` names each metric's result. */
const JSON_NAMES: Record<MetricName, string> = {
  insertion: 'insertion',
  deletion: 'deletion',
  road: 'road',
  sparseness: 'sparseness',
  complexity: 'complexity',
  'mu-fidelity': 'muFidelity',
  'average-drop': 'averageDrop',
  'increase-in-confidence': 'increaseInConfidence',
  'pointing-game': 'pointingGame',
};

export const evaluate: Command = {
  name: 'evaluate',
  summary: 'Score a saliency map: Insertion and Deletion (curves and AUC), ROAD, sparseness, complexity, MuFidelity, confidence and the pointing game.',
  get usage() {
    return (
      'xai evaluate <image…> [--model PATH] (--saliency FILE.npy | --method ID | --order FILE.npy) [--order FILE.npy] ' +
      `[--metric LIST] [--step N] [--substrate blur|zeros|mean] [--road-percentiles LIST] [--road-noise SD] ` +
      `[--mu-grid G] [--mu-subset Q] [--mu-samples N] [--metric-seed SEED] [--tensor FILE.npy] [--json]\n\n` +
      `Metrics: ${METRIC_NAMES.join(', ')} (pointing-game needs NAME.mask.png or NAME.json with a bbox beside each image).\n\nMethods:\n${methodList()}`
    );
  },
  get options(): Record<string, OptionSpec> {
    return {
    ...MODEL_OPTIONS,
    saliency: { type: 'string', value: 'FILE.npy', description: 'a saliency map, H×W or K×H×W (with --class)' },
    method: { type: 'string', value: 'ID', description: `compute the map first: ${registry.ids().join(', ')}` },
    metric: { type: 'string', value: 'LIST', description: `comma-separated: ${METRIC_NAMES.join(', ')}`, default: DEFAULT_METRICS.join(',') },
    step: { type: 'string', value: 'N', description: 'insertion, deletion: pixels changed per step (default: the input width)' },
    substrate: {
      type: 'string',
      value: 'blur|zeros|mean',
      description: 'what deletion fills in and insertion starts from (default: zeros for deletion, blur for insertion)',
    },
    ...metricOptions(),
    order: { type: 'string', value: 'FILE.npy', description: 'an explicit pixel order (H·W indices, most salient first); with a map, it breaks the map\'s ties' },
    tensor: { type: 'string', value: 'FILE.npy', description: "a preprocessed input in the model's layout, instead of images" },
    json: { type: 'boolean', description: 'print the results as JSON' },
    out: { type: 'string', short: 'o', value: 'DIR', description: 'folder for the curve figures', default: 'xai-out' },
    'no-figures': { type: 'boolean', description: 'do not write curve figures' },
    ...methodOptions(),
    };
  },
  async run(args, context) {
    const metrics = parseMetricNames(args, 'metric', DEFAULT_METRICS);
    if (args.values.saliency !== undefined && args.values.method !== undefined) {
      throw new UsageError('--saliency and --method cannot go together: both give the map to score (--saliency reads it, --method computes it); choose one', 'evaluate');
    }
    if (args.values.saliency === undefined && args.values.method === undefined && args.values.order === undefined) {
      throw new UsageError('give one of --saliency FILE.npy or --method ID (with --order FILE.npy to break ties), or --order FILE.npy alone', 'evaluate');
    }
    const mapMetrics = metrics.filter((m) => !CURVES.includes(m as CurveMetric));
    if (args.values.saliency === undefined && args.values.method === undefined && mapMetrics.length) {
      throw new UsageError(`${mapMetrics.join(', ')} score${mapMetrics.length === 1 ? 's' : ''} a map; --order alone gives only a pixel order (insertion, deletion): give --saliency or --method too`, 'evaluate');
    }
    if (args.values['no-figures'] && args.values.out !== undefined) {
      throw new UsageError('--out and --no-figures cannot go together: --out is the folder for the curve figures, and --no-figures writes none', 'evaluate');
    }
    const methods = args.values.method === undefined ? [] : parseMethodList(args, 'method', []);
    if (methods.length > 1) throw new UsageError('--method takes one method here; use `xai compare` for several', 'evaluate');
    const tensorPath = tensorOrImages(args, 'evaluate');
    const substrate = args.values.substrate === undefined ? undefined : choiceOption(args, 'substrate', ['blur', 'zeros', 'mean'] as const, 'zeros');
    const step = args.values.step === undefined ? undefined : intOption(args, 'step', 1);
    if ((step !== undefined || substrate !== undefined) && !metrics.some((m) => CURVES.includes(m as CurveMetric))) {
      throw new UsageError(`--${step !== undefined ? 'step' : 'substrate'} applies to insertion and deletion, which --metric does not list`, 'evaluate');
    }
    const others = buildMetrics(metrics, args, { step, substrate: substrate as Substrate | undefined, pointingTolerance: 0 }).filter((m) => !CURVES.includes(m.name as CurveMetric));
    const curveMetrics = metrics.filter((m): m is CurveMetric => CURVES.includes(m as CurveMetric));
    const images = tensorPath ? [] : imageItems(await listImages(args.positionals));
    const truths = new Map<string, GroundTruthFiles>();
    if (metrics.includes('pointing-game')) {
      if (tensorPath) throw new UsageError('pointing-game needs ground truth beside image files (NAME.mask.png or NAME.json with a bbox); --tensor has none', 'evaluate');
      for (const image of images) {
        const truth = await findGroundTruth(image.path);
        if (!locates(truth)) throw new UsageError(`pointing-game needs ground truth beside ${image.path}: ${image.stem}.mask.png or ${image.stem}.json with a bbox`, 'evaluate');
        truths.set(image.path, truth);
      }
    }
    const { model } = await openModel(args);
    let prepared: PreparedMethod | undefined;
    try {
      [prepared] = prepareMethods(methods, model, args, () => targetsArg(args) ?? 'top');
    } catch (error) {
      model.dispose();
      throw error;
    }
    const progress = progressReporter(context.stderr, { quiet: Boolean(args.values.quiet) || Boolean(args.values.json) });
    const batchSize = intOption(args, 'batch-size', 32);
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
      for (const next of [...inputs.map((i) => i.item), ...images]) {
        let input = inputs.find((i) => i.item === next);
        try {
          input ??= await loadImageInput(next, model, { onNote: (m) => context.stderr.write(`${m}\n`) });
          const { ranking, map, classIndex: mapClass } = await rankingFor(args, prepared, model, input, target, context, progress);
          const classIndex = target ?? mapClass;
          const work = { signal: context.signal, onProgress: progress.onProgress, batchSize };
          const curves: Partial<Record<CurveMetric, CurveResult>> = {};
          for (const metric of curveMetrics) {
            const run = metric === 'insertion' ? insertion : deletion;
            curves[metric] = await run(model, input.tensor, ranking, { ...work, step, substrate: substrate as Substrate | undefined, classIndex });
            progress.done();
          }
          const scores = new Map<MetricName, MetricScore>();
          const truth = truths.get(next.path);
          const mask = truth && map ? await objectMask(truth, input.size ?? { width: map.width, height: map.height }, map.height, map.width) : undefined;
          for (const metric of others) {
            const [score] = await metric.evaluate(model, input.tensor, [map!], { ...work, classIndices: [classIndex], masks: [mask] });
            scores.set(metric.name, score);
            progress.done();
          }
          const tracked = Object.values(curves)[0]?.classIndex ?? [...scores.values()].find((s) => s.classIndex !== undefined)?.classIndex ?? classIndex ?? null;
          const result: Record<string, unknown> = { input: next.path, class: tracked };
          for (const metric of metrics) {
            const curve = curves[metric as CurveMetric];
            if (curve) result[metric] = { auc: curve.auc, scores: curve.scores, protocol: curve.protocol };
            const score = scores.get(metric);
            if (score) result[JSON_NAMES[metric]] = jsonScore(metric, score, others.find((m) => m.name === metric)!);
          }
          results.push(result);
          if (!args.values['no-figures'] && Object.keys(curves).length) {
            const dir = join(stringOption(args, 'out') ?? 'xai-out', next.stem);
            await mkdir(dir, { recursive: true });
            await writeCurveFigure(join(dir, 'curves.png'), Object.values(curves), tracked === null ? undefined : model.classNames?.[tracked]);
          }
          if (!args.values.json) {
            const parts = [
              ...Object.entries(curves).map(([m, c]) => `${m} AUC ${c.auc.toFixed(4)}`),
              ...[...scores.entries()].map(([m, s]) => `${m} ${s.value.toFixed(4)}`),
            ];
            context.stdout.write(`${next.path}: class ${tracked ?? '–'}: ${parts.join(', ')}\n`);
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

/** One metric's result as `--json` prints it: ROAD's curves, the pointing game's details, else the number. */
function jsonScore(name: MetricName, score: MetricScore, metric: MapMetric): unknown {
  if (name === 'road') {
    return { percentiles: score.details!.percentiles, morf: score.curves!.morf, lerf: score.curves!.lerf, combined: score.value, protocol: metric.settings };
  }
  if (name === 'pointing-game') return score.details;
  return score.value;
}

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
): Promise<{ ranking: SaliencyMap | PixelOrder; map?: SaliencyMap; classIndex?: number }> {
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
  const classIndex = prepared ? map.classIndex : undefined;
  if (order) return { ranking: { order: saliencyOrder(map.data, order) }, map, classIndex };
  return { ranking: map, map, classIndex };
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
