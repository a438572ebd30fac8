import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { METRIC_NAMES, type MapMetric, type MetricName, type ObjectMask } from '@xai/metrics';
import { type Command, type OptionSpec, UsageError, intOption, stringOption } from '../command.js';
import { buildMetrics, metricOptions, metricSeed, parseMetricNames } from '../metric-options.js';
import { runPrepared, XaiError, type PreparedMethod, type SaliencyMap } from '@xai/core';
import { removeStaleTemporaries, writeNpyFile, writeFileAtomic } from '@xai/core/node';
import { writeCompareReport } from '../figures.js';
import { findGroundTruth, groundTruthDigest, groundTruthRecord, locates, objectMask, type GroundTruthFiles } from '../ground-truth.js';
import { imageItems, listImagesStrictly, loadImageInput, type InputItem } from '../inputs.js';
import {
  describeDifferences,
  keyDifferences,
  methodKey,
  methodKeyDifferences,
  modelFiles,
  runKey,
  sha256File,
  sha256Files,
  type ItemKey,
  type KeyDifference,
  type MethodKey,
  type MetricProtocolKey,
  type SettingsKey,
} from '../keys.js';
import { methodList, methodOptions, parseMethodList, prepareMethods } from '../methods.js';
import { registry } from '../registry.js';
import { MODEL_OPTIONS, openModel } from '../model.js';
import { predictTop } from '../prediction.js';
import { progressReporter } from '../progress.js';
import { reportFailure } from '../report.js';
import {
  type CompareResults,
  type ImageResult,
  type MethodResult,
  type MetricRecord,
  type ShardInfo,
  shardOf,
  sortFailures,
  sortImages,
  summarize,
  summaryTable,
} from '../results.js';

/** The pointing game counts a hit only on the object itself. */
const POINTING_TOLERANCE = 0;
const DEFAULT_METRICS: readonly MetricName[] = ['insertion', 'deletion', 'pointing-game'];
/** The summary's intervals: the percentile bootstrap of the mean over images. */
const INTERVAL = { method: 'percentile bootstrap over images', level: 0.95, resamples: 1000 } as const;

export const compare: Command = {
  name: 'compare',
  summary: 'Every method on every image, scored by every chosen metric: a methods × metrics table with bootstrap intervals, each metric\'s ranking and their agreement, report.html and results.json.',
  get usage() {
    return (
      `xai compare <dir|images…> [--model PATH] [--methods LIST|all] [--metrics LIST] [--out DIR] [--shard I/N] [--no-recompute]\n\n` +
      `Metrics: ${METRIC_NAMES.join(', ')} (default ${DEFAULT_METRICS.join(',')}; pointing-game is scored on the images with ground truth).\n\n` +
      `A rerun into the same --out reuses every result whose key (model file, preprocessing, engine, method parameters and\n` +
      `layers, metric protocol, image file) matches and recomputes the rest. NAME.mask.png and NAME.json (with a bbox)\n` +
      `beside NAME.png are its ground truth, never inputs. Exit codes: 0 done, 1 some input failed (all results still\n` +
      `written), 2 bad usage (nothing done).\n\nMethods:\n${methodList()}`
    );
  },
  minPositionals: 1,
  get options(): Record<string, OptionSpec> {
    return {
      ...MODEL_OPTIONS,
      methods: { type: 'string', value: 'LIST', description: `methods to compare: ${registry.ids().join(',')} or all`, default: 'all' },
      out: { type: 'string', short: 'o', value: 'DIR', description: 'output folder (a rerun resumes in it)', default: 'xai-compare' },
      metrics: { type: 'string', value: 'LIST', description: `comma-separated: ${METRIC_NAMES.join(', ')}`, default: DEFAULT_METRICS.join(',') },
      step: { type: 'string', value: 'N', description: 'insertion, deletion: pixels changed per step (default: the input width)' },
      ...metricOptions(),
      shard: { type: 'string', value: 'I/N', description: 'run only the I-th of N disjoint slices of the inputs (1-based)' },
      'no-recompute': { type: 'boolean', description: 'refuse (exit 2) rather than recompute results in --out made with other settings' },
      ...methodOptions(),
    };
  },
  async run(args, context) {
    const chosen = parseMethodList(args, 'methods', 'all');
    const methods = chosen.map((m) => m.id);
    const outDir = stringOption(args, 'out') ?? 'xai-compare';
    const shard = parseShard(stringOption(args, 'shard'));
    const step = args.values.step === undefined ? undefined : intOption(args, 'step', 1);
    const metricNames = parseMetricNames(args, 'metrics', DEFAULT_METRICS);
    if (step !== undefined && !metricNames.some((m) => m === 'insertion' || m === 'deletion')) {
      throw new UsageError('--step applies to insertion and deletion, which --metrics does not list', 'compare');
    }
    const metrics = buildMetrics(metricNames, args, { step, pointingTolerance: POINTING_TOLERANCE }, 'metrics');
    const noRecompute = Boolean(args.values['no-recompute']);
    if (args.values.class !== undefined) throw new UsageError('compare explains each image\'s top class, the one the metrics track; --class does not apply', 'compare');
    const all = imageItems(await listImagesStrictly(args.positionals, 'compare'));
    const resolved = all.map((item) => resolve(item.path));
    const items = shard ? all.filter((_, i) => shardOf(resolved[i], shard.count) === shard.index) : all;
    const shardInfo: ShardInfo = { index: (shard?.index ?? 0) + 1, count: shard?.count ?? 1 };

    const { model, source, backend } = await openModel(args);
    const progress = progressReporter(context.stderr, { quiet: Boolean(args.values.quiet) });
    const images: ImageResult[] = [];
    const failed: CompareResults['failed'] = [];
    const timings = await readTimings(outDir);
    const newTimings: Timings = { images: {} };
    const notes: string[] = [];
    let setup: Setup;
    try {
      setup = await setUp(chosen, model, backend.backend, args, metrics, items, outDir);
    } catch (error) {
      model.dispose();
      throw error;
    }
    const { prepared, settings, protocol, settingsKey, plans } = setup;
    try {
      announcePlan(plans, outDir, noRecompute, context.stderr);
      await sweepOutput(outDir);
      if (items.length === 0) {
        const note = `shard ${shardInfo.index}/${shardInfo.count} holds none of the ${all.length} input${all.length === 1 ? '' : 's'} (more shards than images); its results are empty`;
        notes.push(note);
        context.stderr.write(`xai: ${note}\n`);
      }
      const run: CompareRun = { prepared, metrics, outDir, model, signal: context.signal, progress, onNote: (m) => context.stderr.write(`${m}\n`) };
      const working = plans.filter((p) => p.methods.some((m) => m.action !== 'reuse'));
      let position = 0;
      for (const plan of plans) {
        const seconds: Record<string, number> = {};
        try {
          if (plan.methods.some((m) => m.action !== 'reuse') && !args.values.quiet) {
            context.stderr.write(`[${++position}/${working.length}] ${plan.item.path}\n`);
          }
          const result = await compareOne(plan, run, seconds);
          await writeIfChanged(itemFile(outDir, plan.item), itemJson(result));
          images.push(result);
        } catch (error) {
          progress.done();
          if ((error as Error).name === 'AbortError') throw error;
          failed.push({ path: plan.item.path, error: (error as Error).message });
          reportFailure(context, plan.item.path, error);
        }
        const kept = { ...timings.images[plan.item.stem], ...seconds };
        const ordered = Object.fromEntries(methods.filter((m) => m in kept).map((m) => [m, kept[m]]));
        if (Object.keys(ordered).length) newTimings.images[plan.item.stem] = ordered;
      }
    } finally {
      model.dispose();
    }
    const sortedImages = sortImages(images);
    const results: CompareResults = {
      model: source,
      key: settingsKey,
      shard: shardInfo,
      inputs: { count: all.length, paths: createHash('sha256').update(resolved.join('\n')).digest('hex') },
      methods,
      protocol: { ...protocol, settings },
      images: sortedImages,
      failed: sortFailures(failed),
      summary: summarize(sortedImages, methods, protocol),
      notes,
    };
    await writeFileAtomic(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
    await writeFileAtomic(join(outDir, 'timings.json'), JSON.stringify(sortTimings(newTimings), null, 2) + '\n');
    await writeCompareReport(join(outDir, 'report.html'), results, outDir);
    context.stdout.write(summaryTable(results));
    if (failed.length) {
      throw new XaiError(
        `${failed.length} of ${items.length} image${items.length === 1 ? '' : 's'} failed (listed under "failed" in ${join(outDir, 'results.json')}); ` +
          `the other results are written`,
      );
    }
  },
};

interface Setup {
  prepared: PreparedMethod[];
  /** Per method, its parameters and layer as the report shows them. */
  settings: Record<string, unknown>;
  protocol: MetricProtocolKey;
  settingsKey: SettingsKey;
  plans: ItemPlan[];
}

/**
 * Everything checked and keyed before any work: the methods against the model (usage errors),
 * the model file's hash, each image's key, and what the output folder already holds.
 */
async function setUp(
  chosen: Parameters<typeof prepareMethods>[0],
  model: Awaited<ReturnType<typeof openModel>>['model'],
  backend: string,
  args: Parameters<Command['run']>[0],
  metrics: readonly MapMetric[],
  items: readonly InputItem[],
  outDir: string,
): Promise<Setup> {
  const prepared = prepareMethods(chosen, model, args, () => 'top');
  const settings = Object.fromEntries(prepared.map((p) => [p.method.id, { ...p.params, ...(p.layers.length ? { layer: p.layers.map((l) => l.name).join(',') } : {}) }]));
  const protocol: MetricProtocolKey = {
    class: 'top',
    metrics: Object.fromEntries(metrics.map((m) => [m.name, resolvedSettings(m, model)])),
    interval: { ...INTERVAL, seed: metricSeed(args) },
  };
  const base = runKey(await sha256Files(await modelFiles(stringOption(args, 'model'))), model, backend, protocol);
  const methodKeys = prepared.map(methodKey);
  const settingsKey: SettingsKey = { ...base, methods: Object.fromEntries(methodKeys.map((k) => [k.method, k])) };
  const plans: ItemPlan[] = [];
  for (const item of items) {
    const truth = await findGroundTruth(item.path);
    const key: ItemKey = {
      ...base,
      input: await sha256File(item.path).catch(() => null),
      groundTruth: await groundTruthDigest(truth).catch(() => null),
    };
    plans.push(await planItem(item, key, truth, methodKeys, outDir));
  }
  return { prepared, settings, protocol, settingsKey, plans };
}

function parseShard(value: string | undefined): { index: number; count: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const [i, n] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (!match || n < 1 || i < 1 || i > n) throw new UsageError(`--shard takes I/N with 1 ≤ I ≤ N, e.g. 2/8; got "${value}"`, 'compare');
  return { index: i - 1, count: n };
}

/**
 * Temporary files that a killed run's atomic writes left behind (`.NAME.PID.RANDOM.tmp`, whose
 * writer is gone) are removed, so a resumed run ends with the files of an uninterrupted one.
 */
/** The run's folders: temporary files of killed runs are removed before resuming. */
async function sweepOutput(outDir: string): Promise<void> {
  const entries = await readdir(join(outDir, 'items'), { withFileTypes: true }).catch(() => []);
  const folders = [outDir, join(outDir, 'items'), ...entries.filter((e) => e.isDirectory()).map((e) => join(outDir, 'items', e.name))];
  for (const folder of folders) await removeStaleTemporaries(folder);
}

function itemFile(outDir: string, item: InputItem): string {
  return join(outDir, 'items', `${item.stem}.json`);
}

/** What to do for one method of one image: reuse the stored result, or compute it (and why). */
interface MethodPlan {
  key: MethodKey;
  action: 'reuse' | 'recompute' | 'new';
  /** For `recompute`: the key fields that differ from the stored result's. */
  differences: KeyDifference[];
}

interface ItemPlan {
  item: InputItem;
  key: ItemKey;
  truth: GroundTruthFiles | undefined;
  /** The stored item, when its key matches (its prediction and matching methods are reused). */
  previous?: ImageResult;
  methods: MethodPlan[];
}

async function planItem(item: InputItem, key: ItemKey, truth: GroundTruthFiles | undefined, methodKeys: MethodKey[], outDir: string): Promise<ItemPlan> {
  const stored = await readItem(itemFile(outDir, item));
  if (!stored) return { item, key, truth, methods: methodKeys.map((k) => ({ key: k, action: 'new', differences: [] })) };
  const itemDifferences = keyDifferences(stored.key, key);
  if (itemDifferences.length) {
    return {
      item,
      key,
      truth,
      methods: methodKeys.map((k) => {
        const done = stored.methods?.[k.method];
        const differences = [...itemDifferences, ...(done ? methodKeyDifferences(done.key, k) : [])];
        return { key: k, action: 'recompute', differences };
      }),
    };
  }
  const methods = methodKeys.map((k): MethodPlan => {
    const done = stored.methods?.[k.method];
    if (!done) return { key: k, action: 'new', differences: [] };
    const differences = methodKeyDifferences(done.key, k);
    if (differences.length) return { key: k, action: 'recompute', differences };
    if (!existsSync(join(outDir, done.map))) return { key: k, action: 'new', differences: [] };
    return { key: k, action: 'reuse', differences: [] };
  });
  return { item, key, truth, previous: stored, methods };
}

async function readItem(file: string): Promise<ImageResult | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const result = JSON.parse(await readFile(file, 'utf8')) as ImageResult;
    return result && typeof result === 'object' && result.key && result.methods ? result : undefined;
  } catch {
    return undefined;
  }
}

/** Says on stderr what a resumed run reuses and recomputes, and why; with --no-recompute, refuses. */
function announcePlan(plans: readonly ItemPlan[], outDir: string, noRecompute: boolean, stderr: NodeJS.WriteStream): void {
  const all = plans.flatMap((p) => p.methods);
  const reused = all.filter((m) => m.action === 'reuse').length;
  const recomputed = all.filter((m) => m.action === 'recompute');
  const fresh = all.filter((m) => m.action === 'new').length;
  if (reused === 0 && recomputed.length === 0) return;
  const differences = new Map<string, { old: unknown; new: unknown; count: number }>();
  for (const m of recomputed) {
    for (const d of m.differences) {
      const seen = differences.get(d.field);
      if (seen) seen.count++;
      else differences.set(d.field, { old: d.old, new: d.new, count: 1 });
    }
  }
  const lines = describeDifferences(differences);
  if (noRecompute && recomputed.length) {
    throw new UsageError(
      `--no-recompute: ${recomputed.length} result${recomputed.length === 1 ? '' : 's'} in ${outDir} ` +
        `${recomputed.length === 1 ? 'was' : 'were'} made with other settings (field: stored → now):\n  ${lines.join('\n  ')}\n` +
        `Run without --no-recompute to recompute them, or choose another --out`,
      'compare',
    );
  }
  const total = all.length;
  stderr.write(
    `xai: resuming in ${outDir}: reusing ${reused} of ${total} result${total === 1 ? '' : 's'} (image × method), ` +
      `recomputing ${recomputed.length} made with other settings, computing ${fresh} not done yet\n`,
  );
  for (const line of lines) stderr.write(`  ${line}\n`);
}

/** A metric's settings as keyed: Insertion's and Deletion's default step is the model's input width. */
function resolvedSettings(metric: MapMetric, model: { input: { width: number } }): Record<string, unknown> {
  const settings = { ...metric.settings };
  if (settings.step === 'input width') settings.step = model.input.width;
  return settings;
}

interface CompareRun {
  prepared: PreparedMethod[];
  metrics: readonly MapMetric[];
  outDir: string;
  model: Awaited<ReturnType<typeof openModel>>['model'];
  signal: AbortSignal;
  progress: ReturnType<typeof progressReporter>;
  onNote: (message: string) => void;
}

/**
 * One image: reuses the stored methods whose key matches, computes the others (writing the item
 * after each, so a killed run keeps what it finished), and returns the whole item.
 */
async function compareOne(plan: ItemPlan, run: CompareRun, seconds: Record<string, number>): Promise<ImageResult> {
  const done = new Map<string, MethodResult>();
  for (const m of plan.methods) if (m.action === 'reuse') done.set(m.key.method, plan.previous!.methods[m.key.method]);
  const order = plan.methods.map((m) => m.key.method);
  const head = plan.previous;
  if (plan.methods.every((m) => m.action === 'reuse')) return canonicalItem(plan, head!, done, order);

  const input = await loadImageInput(plan.item, run.model, { onNote: run.onNote });
  try {
    const top = head ? undefined : (await predictTop(run.model, input.tensor, 1)).top[0];
    const prediction = head
      ? { classIndex: head.classIndex, className: head.className, probability: head.probability }
      : { classIndex: top!.classIndex, className: top!.className, probability: top!.probability };
    const masks = new Map<string, ObjectMask>();
    const maskFor = async (map: SaliencyMap): Promise<ObjectMask | undefined> => {
      if (!locates(plan.truth)) return undefined;
      const size = `${map.height}x${map.width}`;
      if (!masks.has(size)) masks.set(size, await objectMask(plan.truth, input.size ?? { width: map.width, height: map.height }, map.height, map.width));
      return masks.get(size);
    };
    for (const prepared of run.prepared) {
      const method = prepared.method.id;
      if (done.has(method)) continue;
      const started = performance.now();
      const work = { signal: run.signal, onProgress: (e: { stage: string; done: number; total: number }) => run.progress.onProgress({ ...e, stage: `${method} ${e.stage}` }) };
      const maps = await runPrepared(prepared, run.model, input.tensor, work);
      const map = maps.find((m) => m.classIndex === prediction.classIndex) ?? maps[0];
      const mask = await maskFor(map);
      const scored: Record<string, MetricRecord> = {};
      for (const metric of run.metrics) {
        if (metric.needsGroundTruth && !mask) continue;
        const [score] = await metric.evaluate(run.model, input.tensor, [map], { ...work, batchSize: prepared.batchSize, classIndices: [prediction.classIndex], masks: [mask] });
        scored[metric.name] = metricRecord(score);
      }
      run.progress.done();
      const mapFile = join('items', plan.item.stem, `${method}.npy`);
      await writeNpyFile(join(run.outDir, mapFile), { dtype: 'float32', shape: [map.height, map.width], data: map.data });
      done.set(method, { key: plan.methods.find((m) => m.key.method === method)!.key, metrics: scored, map: mapFile });
      seconds[method] = (performance.now() - started) / 1000;
      await writeFileAtomic(itemFile(run.outDir, plan.item), itemJson(canonicalItem(plan, prediction, done, order)));
    }
    return canonicalItem(plan, prediction, done, order);
  } finally {
    input.tensor.dispose();
  }
}

/** A score as stored: value, then curves and details when there are any. */
function metricRecord(score: { value: number; curves?: Record<string, number[]>; details?: Record<string, unknown> }): MetricRecord {
  return {
    value: score.value,
    ...(score.curves ? { curves: Object.fromEntries(Object.entries(score.curves).map(([k, v]) => [k, [...v]])) } : {}),
    ...(score.details ? { details: JSON.parse(JSON.stringify(score.details)) as Record<string, unknown> } : {}),
  };
}

/** An item with its fields and methods in one fixed order, so equal results are equal bytes. */
function canonicalItem(
  plan: ItemPlan,
  prediction: { classIndex: number; className?: string; probability: number },
  methods: ReadonlyMap<string, MethodResult>,
  order: readonly string[],
): ImageResult {
  return {
    path: plan.item.path,
    stem: plan.item.stem,
    key: plan.key,
    classIndex: prediction.classIndex,
    ...(prediction.className === undefined ? {} : { className: prediction.className }),
    probability: prediction.probability,
    ...(plan.truth && locates(plan.truth) ? { groundTruth: groundTruthRecord(plan.truth) } : {}),
    methods: Object.fromEntries(
      order
        .filter((m) => methods.has(m))
        .map((m) => {
          const r = methods.get(m)!;
          const result: MethodResult = {
            key: r.key,
            metrics: Object.fromEntries(Object.entries(r.metrics).map(([name, record]) => [name, metricRecord(record)])),
            map: r.map,
          };
          return [m, result];
        }),
    ),
  };
}

function itemJson(result: ImageResult): string {
  return JSON.stringify(result) + '\n';
}

async function writeIfChanged(file: string, text: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current !== text) await writeFileAtomic(file, text);
}

/** Seconds per image and method: kept apart from the results, which must not depend on them. */
interface Timings {
  images: Record<string, Record<string, number>>;
}

async function readTimings(outDir: string): Promise<Timings> {
  try {
    const value = JSON.parse(await readFile(join(outDir, 'timings.json'), 'utf8')) as Timings;
    return value && typeof value.images === 'object' && value.images ? value : { images: {} };
  } catch {
    return { images: {} };
  }
}

function sortTimings(timings: Timings): Timings & { note: string } {
  const stems = Object.keys(timings.images).sort();
  return {
    note: 'seconds per image and method, as last computed; not part of the results',
    images: Object.fromEntries(stems.map((s) => [s, timings.images[s]])),
  };
}
