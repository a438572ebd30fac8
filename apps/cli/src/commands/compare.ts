import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { deletion, insertion } from '@xai/metrics';
import { type Command, type ParsedArgs, UsageError, intOption, listOption, stringOption } from '../command.js';
import { writeNpyFile } from '@xai/core/node';
import { writeCompareReport } from '../figures.js';
import { imageItems, listImages, loadImageInput, type InputItem } from '../inputs.js';
import { METHOD_OPTIONS, METHODS, methodSettings, runMethod } from '../methods.js';
import { MODEL_OPTIONS, openModel } from '../model.js';
import { predictTop } from '../prediction.js';
import { progressReporter } from '../progress.js';
import { reportFailure } from '../report.js';
import { type CompareResults, type ImageResult, shardOf, sortImages, summarize, summaryTable } from '../results.js';

export const compare: Command = {
  name: 'compare',
  summary: 'Every method on every image, scored by Insertion and Deletion: a table, report.html and results.json.',
  usage: 'xai compare <dir|images…> [--model PATH] [--methods LIST] [--out DIR] [--shard I/N]',
  minPositionals: 1,
  options: {
    ...MODEL_OPTIONS,
    methods: { type: 'string', value: 'LIST', description: `methods to compare: ${METHODS.join(',')}`, default: METHODS.join(',') },
    out: { type: 'string', short: 'o', value: 'DIR', description: 'output folder (a rerun resumes in it)', default: 'xai-compare' },
    step: { type: 'string', value: 'N', description: 'pixels changed per metric step (default: the input width)' },
    shard: { type: 'string', value: 'I/N', description: 'run only the I-th of N disjoint slices of the inputs (1-based)' },
    ...METHOD_OPTIONS,
  },
  async run(args, context) {
    const methods = listOption(args, 'methods', METHODS, METHODS);
    const outDir = stringOption(args, 'out') ?? 'xai-compare';
    const shard = parseShard(stringOption(args, 'shard'));
    const settings = methodSettings(args);
    const step = args.values.step === undefined ? undefined : intOption(args, 'step', 1);
    const all = imageItems(await listImages(args.positionals));
    const items = shard ? all.filter((item) => shardOf(resolve(item.path), shard.count) === shard.index) : all;
    const { model, source } = await openModel(args);
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
          const result = await compareOne(item, { methods, settings, step, outDir, model, signal: context.signal, progress, args });
          await writeFile(file, JSON.stringify(result) + '\n');
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
      protocol: { step: step ?? 'input width', insertion: 'blur(klen=11, sigma=5)', deletion: 'zeros', settings: { ...settings, masks: undefined } },
      images: sortImages(images),
      failed,
      summary: summarize(images, methods),
    };
    await writeFile(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
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
  methods: string[];
  settings: ReturnType<typeof methodSettings>;
  step: number | undefined;
  outDir: string;
  model: Awaited<ReturnType<typeof openModel>>['model'];
  signal: AbortSignal;
  progress: ReturnType<typeof progressReporter>;
  args: ParsedArgs;
}

async function compareOne(item: InputItem, run: CompareRun): Promise<ImageResult> {
  const input = await loadImageInput(item, run.model);
  try {
    const { top } = await predictTop(run.model, input.tensor, 1);
    const classIndex = top[0].classIndex;
    const result: ImageResult = { path: item.path, stem: item.stem, classIndex, className: top[0].className, probability: top[0].probability, methods: {} };
    for (const method of run.methods as (typeof METHODS)[number][]) {
      const started = performance.now();
      const work = { signal: run.signal, onProgress: (e: { stage: string; done: number; total: number }) => run.progress.onProgress({ ...e, stage: `${method} ${e.stage}` }) };
      const maps = await runMethod(method, run.model, input.tensor, run.settings, classIndex, work);
      const map = maps.find((m) => m.classIndex === classIndex) ?? maps[0];
      const options = { ...work, step: run.step, classIndex, batchSize: run.settings.batchSize };
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

