import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { deletion, insertion } from '@xai/metrics';
import { type Command, type OptionSpec, UsageError, intOption, stringOption } from '../command.js';
import { runPrepared, type PreparedMethod } from '@xai/core';
import { writeNpyFile, writeFileAtomic } from '@xai/core/node';
import { writeCompareReport } from '../figures.js';
import { imageItems, listImages, loadImageInput, type InputItem } from '../inputs.js';
import { methodList, methodOptions, parseMethodList, prepareMethods } from '../methods.js';
import { registry } from '../registry.js';
import { MODEL_OPTIONS, openModel } from '../model.js';
import { predictTop } from '../prediction.js';
import { progressReporter } from '../progress.js';
import { reportFailure } from '../report.js';
import { type CompareResults, type ImageResult, shardOf, sortImages, summarize, summaryTable } from '../results.js';

export const compare: Command = {
  name: 'compare',
  summary: 'Every method on every image, scored by Insertion and Deletion: a table, report.html and results.json.',
  get usage() {
    return `xai compare <dir|images…> [--model PATH] [--methods LIST|all] [--out DIR] [--shard I/N]\n\nMethods:\n${methodList()}`;
  },
  minPositionals: 1,
  get options(): Record<string, OptionSpec> {
    return {
      ...MODEL_OPTIONS,
      methods: { type: 'string', value: 'LIST', description: `methods to compare: ${registry.ids().join(',')} or all`, default: 'all' },
      out: { type: 'string', short: 'o', value: 'DIR', description: 'output folder (a rerun resumes in it)', default: 'xai-compare' },
      step: { type: 'string', value: 'N', description: 'pixels changed per metric step (default: the input width)' },
      shard: { type: 'string', value: 'I/N', description: 'run only the I-th of N disjoint slices of the inputs (1-based)' },
      ...methodOptions(),
    };
  },
  async run(args, context) {
    const chosen = parseMethodList(args, 'methods', 'all');
    const methods = chosen.map((m) => m.id);
    const outDir = stringOption(args, 'out') ?? 'xai-compare';
    const shard = parseShard(stringOption(args, 'shard'));
    const step = args.values.step === undefined ? undefined : intOption(args, 'step', 1);
    if (args.values.class !== undefined) throw new UsageError('compare explains each image\'s top class, the one the metrics track; --class does not apply', 'compare');
    const all = imageItems(await listImages(args.positionals));
    const items = shard ? all.filter((item) => shardOf(resolve(item.path), shard.count) === shard.index) : all;
    const { model, source } = await openModel(args);
    let prepared: PreparedMethod[];
    try {
      prepared = prepareMethods(chosen, model, args, () => 'top');
    } catch (error) {
      model.dispose();
      throw error;
    }
    const settings = Object.fromEntries(prepared.map((p) => [p.method.id, { ...p.params, ...(p.layers.length ? { layer: p.layers.map((l) => l.name).join(',') } : {}) }]));
    const progress = progressReporter(context.stderr, { quiet: Boolean(args.values.quiet) });
    await mkdir(join(outDir, 'items'), { recursive: true });
    const failed: CompareResults['failed'] = [];
    try {
      for (const [n, item] of items.entries()) {
        const file = join(outDir, 'items', `${item.stem}.json`);
        const previous = await readIfDone(file, methods);
        if (previous) continue;
        if (!args.values.quiet) context.stderr.write(`[${n + 1}/${items.length}] ${item.path}\n`);
        try {
          const result = await compareOne(item, { prepared, step, outDir, model, signal: context.signal, progress, batchSize: prepared[0]?.batchSize ?? 32 });
          await writeFileAtomic(file, JSON.stringify(result) + '\n');
        } catch (error) {
          progress.done();
          if ((error as Error).name === 'AbortError') throw error;
          failed.push({ path: item.path, error: (error as Error).message });
          reportFailure(context, item.path, error);
        }
      }
    } finally {
      model.dispose();
    }
    const images: ImageResult[] = [];
    for (const item of items) {
      const done = await readIfDone(join(outDir, 'items', `${item.stem}.json`), methods);
      if (done) images.push(done);
    }
    const results: CompareResults = {
      model: source,
      methods,
      protocol: { step: step ?? 'input width', insertion: 'blur(klen=11, sigma=5)', deletion: 'zeros', settings },
      images: sortImages(images),
      failed,
      summary: summarize(images, methods),
    };
    await writeFileAtomic(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
    await writeCompareReport(join(outDir, 'report.html'), results, outDir);
    context.stdout.write(summaryTable(results));
    if (failed.length) context.stderr.write(`xai: ${failed.length} of ${items.length} images could not be read and were skipped\n`);
  },
};

function parseShard(value: string | undefined): { index: number; count: number } | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)\/(\d+)$/.exec(value);
  const [i, n] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
  if (!match || n < 1 || i < 1 || i > n) throw new UsageError(`--shard takes I/N with 1 ≤ I ≤ N, e.g. 2/8; got "${value}"`, 'compare');
  return { index: i - 1, count: n };
}

async function readIfDone(file: string, methods: string[]): Promise<ImageResult | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const result = JSON.parse(await readFile(file, 'utf8')) as ImageResult;
    return methods.every((m) => result.methods?.[m]) ? result : undefined;
  } catch {
    return undefined;
  }
}

interface CompareRun {
  prepared: PreparedMethod[];
  step: number | undefined;
  outDir: string;
  model: Awaited<ReturnType<typeof openModel>>['model'];
  signal: AbortSignal;
  progress: ReturnType<typeof progressReporter>;
  batchSize: number;
}

async function compareOne(item: InputItem, run: CompareRun): Promise<ImageResult> {
  const input = await loadImageInput(item, run.model);
  try {
    const { top } = await predictTop(run.model, input.tensor, 1);
    const classIndex = top[0].classIndex;
    const result: ImageResult = { path: item.path, stem: item.stem, classIndex, className: top[0].className, probability: top[0].probability, methods: {} };
    for (const prepared of run.prepared) {
      const method = prepared.method.id;
      const started = performance.now();
      const work = { signal: run.signal, onProgress: (e: { stage: string; done: number; total: number }) => run.progress.onProgress({ ...e, stage: `${method} ${e.stage}` }) };
      const maps = await runPrepared(prepared, run.model, input.tensor, work);
      const map = maps.find((m) => m.classIndex === classIndex) ?? maps[0];
      const options = { ...work, step: run.step, classIndex, batchSize: run.batchSize };
      const ins = await insertion(run.model, input.tensor, map, options);
      const del = await deletion(run.model, input.tensor, map, options);
      run.progress.done();
      const mapFile = join('items', item.stem, `${method}.npy`);
      await writeNpyFile(join(run.outDir, mapFile), { dtype: 'float32', shape: [map.height, map.width], data: map.data });
      result.methods[method] = {
        seconds: (performance.now() - started) / 1000,
        insertion: { auc: ins.auc, scores: ins.scores },
        deletion: { auc: del.auc, scores: del.scores },
        map: mapFile,
      };
    }
    return result;
  } finally {
    input.tensor.dispose();
  }
}

