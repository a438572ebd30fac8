import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { describePreprocessing, runPrepared, XaiError, type Classifier, type Layout, type MethodDescriptor, type PreparedMethod, type SaliencyMap } from '@xai/core';
import { writeNpyFile, writeFileAtomic } from '@xai/core/node';
import { binaryMasks, gaussianMasks, riseWithMasks } from '@xai/rise';
import { readMasksFile, writeMasksFile } from '@xai/rise/node';
import { type Command, type OptionSpec, type ParsedArgs, UsageError, intOption, listOption, stringOption, tensorOrImages } from '../command.js';
import type { Context } from '../context.js';
import { writeExplanationFigure } from '../figures.js';
import { checkDiskSpace } from '../limits.js';
import { imageItems, listImages, loadImageInput, tensorItems, type InputItem, type LoadedInput } from '../inputs.js';
import { methodList, methodOptions, paramsFromFlags, parseMethodList, prepareMethods, targetsArg } from '../methods.js';
import { MODEL_OPTIONS, openModel } from '../model.js';
import { classLabel, predictTop } from '../prediction.js';
import { progressReporter } from '../progress.js';
import { registry } from '../registry.js';
import { reportFailure } from '../report.js';

const FORMATS = ['png', 'npy', 'json'] as const;

export const explain: Command = {
  name: 'explain',
  summary: 'Explain images: saliency maps by any registered method, as figures, .npy arrays and JSON.',
  get usage() {
    return `xai explain <image…> [--model PATH] [--method ID[,ID…]|all] [--out DIR]\n\nMethods:\n${methodList()}`;
  },
  get options(): Record<string, OptionSpec> {
    const methodFlags = methodOptions();
    methodFlags.p1 = {
      ...methodFlags.p1,
      description:
        `${methodFlags.p1.description}; with --masks, the p1 the binary masks were drawn with: RISE then divides by N·p1 as the paper ` +
        "(without --p1, by N × the masks' measured mean)",
    };
    return {
      ...MODEL_OPTIONS,
      method: { type: 'string', value: 'ID', description: `${registry.ids().join(', ')} or all (comma-separated list allowed)`, default: 'rise' },
      out: { type: 'string', short: 'o', value: 'DIR', description: 'output folder', default: 'xai-out' },
      format: { type: 'string', value: 'LIST', description: 'what to write: png,npy,json', default: 'png,npy,json' },
      ...methodFlags,
      masks: {
        type: 'string',
        value: 'FILE.npy',
        description:
          'RISE: use these masks (N×1×H×W or N×H×W) instead of drawing them; binary masks are normalised by N·p1 with --p1, ' +
          "else by N × their measured mean (Gaussian masks always by their mean)",
      },
      'save-masks': { type: 'string', value: 'FILE.npy', description: 'RISE: save the masks used' },
      tensor: { type: 'string', value: 'FILE.npy', description: "a preprocessed input in the model's layout, instead of images" },
    };
  },
  async run(args, context) {
    const formats = listOption(args, 'format', FORMATS, FORMATS);
    const tensorPath = tensorOrImages(args, 'explain');
    const outDir = stringOption(args, 'out') ?? 'xai-out';
    const { methods: chosen, args: rest } = await withGivenMasks(args, parseMethodList(args, 'method', ['rise']), context);
    const { model, source, backend } = await openModel(args);
    try {
      const asked = targetsArg(args);
      // A method that makes every class's map at the cost of one writes them all unless --class says.
      const prepared = prepareMethods(chosen, model, rest, (m) => asked ?? (m.everyClassAtOnce ? 'all' : 'top'));
      await saveMasks(args, prepared, model.input);
      const progress = progressReporter(context.stderr, { quiet: Boolean(args.values.quiet) });
      if (!args.values.quiet) context.stderr.write(`${engineLine(model, prepared)}\n`);
      const inputs = await collectInputs(tensorPath, args, model, context);
      let failures = 0;
      try {
        for (const next of inputs.items) {
          let input: LoadedInput | undefined;
          try {
            input = await inputs.load(next);
            await explainOne(input, { prepared, formats, outDir, context, progress, model, source, backend: backend.id, quiet: Boolean(args.values.quiet) });
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
      }
      if (failures > 0) throw new XaiError(`${failures} of ${inputs.items.length} inputs failed`);
    } finally {
      model.dispose();
    }
  },
};

/**
 * --masks replaces RISE's drawn masks by a file's: the masks fix N, s and the seed; --p1 says
 * which keep probability binary masks were drawn with (RISE divides by N·p1; without it, by N times
 * their measured mean, which a note on stderr says), so the masks take it and the method does not.
 */
async function withGivenMasks(
  args: ParsedArgs,
  methods: MethodDescriptor[],
  context: Context,
): Promise<{ methods: MethodDescriptor[]; args: ParsedArgs }> {
  const given = stringOption(args, 'masks');
  const save = stringOption(args, 'save-masks');
  if (given && save) {
    throw new UsageError('--masks and --save-masks cannot go together: --masks reads the masks RISE uses, --save-masks writes the masks it draws', 'explain');
  }
  const rise = methods.filter((m) => m.id === 'rise' || m.id === 'rise-gaussian');
  const flag = given ? '--masks' : '--save-masks';
  if ((given || save) && rise.length !== 1) {
    const chosen = `the chosen methods are ${methods.map((m) => m.id).join(', ')}`;
    throw new UsageError(`${flag} goes with exactly one RISE method (--method rise or rise-gaussian); ${chosen}`, 'explain');
  }
  if (!given) return { methods, args };
  const drawn = ['n', 's', 'seed', 'mask-order'].filter((flag) => args.values[flag] !== undefined);
  if (drawn.length) throw new UsageError(`--masks fixes N, s, the seed and the masks' order; --${drawn.join(', --')} cannot change them`, 'explain');
  if (args.values['until-stable'] !== undefined) {
    throw new UsageError('--until-stable needs drawn masks: --masks fixes N and the normalising mean of its whole set', 'explain');
  }
  const binary = rise[0].id === 'rise';
  if (!binary && args.values.p1 !== undefined) throw new UsageError('--p1 applies to binary masks only; Gaussian masks are normalised by their mean', 'explain');
  const p1 = binary ? paramsFromFlags(rise[0].params.filter((p) => p.name === 'p1'), args, 'explain').p1 : undefined;
  const masks = await readMasksFile(given, { kind: binary ? 'binary' : 'gaussian', p1: args.values.p1 === undefined ? undefined : (p1 as number) }).catch((error) => {
    // A masks file that is missing or not masks is a bad option, found before any work.
    throw error instanceof XaiError ? new UsageError(`--masks: ${error.message}`, 'explain') : error;
  });
  if (binary && args.values.p1 === undefined) {
    const mean = Number(masks.open().normalizingMean().toPrecision(3));
    context.stderr.write(`xai: note: normalising by the masks' measured mean ${mean}; give --p1 to use N·p1 as the RISE paper\n`);
  }
  const replacement = riseWithMasks(masks);
  return { methods: methods.map((m) => (m === rise[0] ? replacement : m)), args: { ...args, values: { ...args.values, p1: undefined } } };
}

/** --save-masks writes the masks the run will draw, before any image is explained. */
async function saveMasks(args: ParsedArgs, prepared: PreparedMethod[], input: { height: number; width: number }): Promise<void> {
  const save = stringOption(args, 'save-masks');
  if (!save) return;
  const rise = prepared.find((p) => p.method.id === 'rise' || p.method.id === 'rise-gaussian')!;
  const { n, s, seed, p1 } = rise.params as { n: number; s: number; seed: number; p1?: number };
  await checkDiskSpace(save, n * input.height * input.width * 4, `--save-masks with --n ${n}: ${n} masks of ${input.height}×${input.width} float32`, 'explain');
  const source = rise.method.id === 'rise' ? binaryMasks({ n, s, p1: p1!, seed, ...input }) : gaussianMasks({ n, s, seed, ...input });
  await writeMasksFile(save, source, { batchSize: intOption(args, 'batch-size', 32) });
}

interface Inputs {
  items: InputItem[];
  load(item: InputItem): Promise<LoadedInput>;
  dispose(): void;
}

async function collectInputs(tensorPath: string | undefined, args: ParsedArgs, model: Parameters<typeof loadImageInput>[1], context: Context): Promise<Inputs> {
  if (tensorPath) {
    const { items, batch } = await tensorItems(tensorPath, model);
    return {
      items,
      load: async (item) => ({ item, tensor: tf.slice(batch, [item.index ?? 0, 0, 0, 0], [1, -1, -1, -1]) }),
      dispose: () => batch.dispose(),
    };
  }
  return { items: imageItems(await listImages(args.positionals)), load: (item) => loadImageInput(item, model, { onNote: (m) => context.stderr.write(`${m}\n`) }), dispose: () => {} };
}

interface ExplainRun {
  prepared: PreparedMethod[];
  formats: string[];
  outDir: string;
  context: Context;
  progress: ReturnType<typeof progressReporter>;
  model: Awaited<ReturnType<typeof openModel>>['model'];
  source: string;
  backend: string;
  quiet: boolean;
}

async function explainOne(input: LoadedInput, run: ExplainRun): Promise<void> {
  const { model, context } = run;
  const dir = join(run.outDir, input.item.stem);
  await mkdir(dir, { recursive: true });
  const { top } = await predictTop(model, input.tensor, Math.min(5, model.numClasses));
  if (!run.quiet) context.stderr.write(`${input.item.path}: ${classLabel(top[0])} p=${top[0].probability.toFixed(3)}\n`);
  const results: Record<string, unknown> = {};
  for (const prepared of run.prepared) {
    const { id, label } = prepared.method;
    const started = performance.now();
    const maps = await runPrepared(prepared, model, input.tensor, {
      signal: context.signal,
      onProgress: (e) => run.progress.onProgress({ ...e, stage: `${id} ${e.stage}` }),
    });
    run.progress.done();
    const seconds = (performance.now() - started) / 1000;
    const shown = maps.find((m) => m.classIndex === top[0].classIndex) ?? maps[0];
    const files: string[] = [];
    let attributionFile: string | undefined;
    if (run.formats.includes('npy')) {
      const path = join(dir, `${id}.npy`);
      await writeNpyFile(path, mapsToNpy(maps));
      files.push(path);
      if (maps.every((m) => m.attribution)) {
        const raw = join(dir, `${id}.attribution.npy`);
        await writeNpyFile(raw, attributionsToNpy(maps, model.input.layout));
        files.push(raw);
        attributionFile = raw;
      }
    }
    if (run.formats.includes('png')) {
      const path = join(dir, `${id}.png`);
      const probability = top.find((t) => t.classIndex === shown.classIndex)?.probability;
      await writeExplanationFigure(path, input, shown, model, probability, label);
      files.push(path);
    }
    results[id] = {
      label,
      classIndex: shown.classIndex,
      className: shown.className,
      classes: maps.map((m) => m.classIndex),
      params: withNormalisation(shown.params),
      seconds,
      files,
      ...(shown.attribution ? { attribution: attributionRecord(maps, model.input.layout, attributionFile) } : {}),
    };
  }
  if (run.formats.includes('json')) {
    const report = {
      input: { path: input.item.path, index: input.item.index },
      model: { source: run.source, engine: model.engine, ...gradientEngine(model), backend: run.backend, input: model.input, numClasses: model.numClasses },
      preprocessing: input.size
        ? describePreprocessing(model.preprocessing, input.size, model.input)
        : { given: 'preprocessed by the caller (--tensor): nothing applied' },
      prediction: top,
      methods: results,
    };
    await writeFileAtomic(join(dir, 'explain.json'), JSON.stringify(report, null, 2) + '\n');
  }
}

/**
 * RISE's maps say what they were divided by: N·p1 (binary masks with a known p1, as the paper) or
 * N times the masks' measured mean (Gaussian masks, or given binary masks without --p1);
 * `normalizingMean` is the value used.
 */
/** `model: … — passes: onnxruntime-node; gradients: onnxruntime-node (gradient graph)`: who computes what. */
function engineLine(model: Classifier, prepared: readonly PreparedMethod[]): string {
  const white = prepared.some((p) => p.method.box === 'white');
  const gradients = white && model.gradientEngine && model.gradientEngine !== model.engine ? `; gradients: ${model.gradientEngine}` : '';
  return `engine: passes: ${model.engine}${gradients}`;
}

function gradientEngine(model: Classifier): { gradientEngine?: string } {
  return model.gradientEngine ? { gradientEngine: model.gradientEngine } : {};
}

function withNormalisation(params: SaliencyMap['params']): SaliencyMap['params'] {
  if (!params || !('normalizingMean' in params)) return params;
  const byP1 = params.masks === 'binary' && params.p1 !== undefined;
  return { ...params, normalisation: byP1 ? 'N·p1' : "N·measured mean of the masks" };
}

/**
 * Pixel attributions, signed, in the model's own layout: 1×C×H×W (NCHW models, e.g. ONNX from
 * PyTorch, as Captum gives them) or 1×H×W×C (NHWC); several classes → T×… in class order.
 */
function attributionsToNpy(maps: SaliencyMap[], layout: Layout) {
  const sorted = [...maps].sort((a, b) => a.classIndex - b.classIndex);
  const { height, width } = sorted[0];
  const channels = sorted[0].attribution!.channels;
  const size = height * width * channels;
  const data = new Float32Array(sorted.length * size);
  sorted.forEach((m, t) => {
    const nhwc = m.attribution!.data;
    if (layout === 'NHWC') {
      data.set(nhwc, t * size);
      return;
    }
    const out = data.subarray(t * size, (t + 1) * size);
    for (let p = 0; p < height * width; p++) {
      for (let c = 0; c < channels; c++) out[c * height * width + p] = nhwc[p * channels + c];
    }
  });
  const shape = layout === 'NHWC' ? [sorted.length, height, width, channels] : [sorted.length, channels, height, width];
  return { dtype: 'float32' as const, shape, data };
}

/** What explain.json says of the attribution file: its layout, shape and path (when written). */
function attributionRecord(maps: SaliencyMap[], layout: Layout, file: string | undefined) {
  const { height, width } = maps[0];
  const channels = maps[0].attribution!.channels;
  const shape = layout === 'NHWC' ? [maps.length, height, width, channels] : [maps.length, channels, height, width];
  return { layout, shape, signed: true, map: 'channel sum of |attribution|', ...(file ? { file } : {}) };
}

/** One map → H×W; several → T×H×W in class order (every class, for RISE, is K×H×W). */
function mapsToNpy(maps: SaliencyMap[]) {
  const { height, width } = maps[0];
  if (maps.length === 1) return { dtype: 'float32' as const, shape: [height, width], data: maps[0].data };
  const sorted = [...maps].sort((a, b) => a.classIndex - b.classIndex);
  const data = new Float32Array(sorted.length * height * width);
  sorted.forEach((m, i) => data.set(m.data, i * height * width));
  return { dtype: 'float32' as const, shape: [sorted.length, height, width], data };
}
