import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { deprocess, prepareMethod, runPrepared, XaiError, type Classifier, type PreparedMethod } from '@xai/core';
import { writeFileAtomic } from '@xai/core/node';
import {
  cascadeLayers, modelParameterRandomisation, randomLogitTest, type Explainer, type RandomisationResult, type RandomLogitResult,
} from '@xai/metrics';
import { writeMapRow } from '@xai/viz/node';
import { type Command, type OptionSpec, type ParsedArgs, UsageError, intOption, stringOption } from '../command.js';
import { imageItems, listImagesStrictly, loadImageInput, type LoadedInput } from '../inputs.js';
import { methodList, methodOptions, parseMethodList, prepareMethods, targetsArg } from '../methods.js';
import { MODEL_OPTIONS, openModel } from '../model.js';
import { classLabel, predictTop } from '../prediction.js';
import { progressReporter } from '../progress.js';
import { registry } from '../registry.js';

const SIMILARITY = {
  spearman: "Spearman's rank correlation of the raw maps (ties ranked by their mean rank; null when a map is constant)",
  ssim: "skimage's structural_similarity with its defaults (7×7 uniform window, K1 0.01, K2 0.03, sample covariance) on each map rescaled to [0, 1], data range 1",
};
const REINITIALISATION = "every weight tensor of a re-initialised layer has its values shuffled (a seeded Fisher–Yates permutation): the learned arrangement is gone, the values' distribution kept";

export const sanity: Command = {
  name: 'sanity',
  summary: 'Sanity checks of a method: model parameter randomisation (cascading) and random logit, with a figure and JSON.',
  minPositionals: 1,
  get usage() {
    return `xai sanity <image> --method ID [--layers N|all] [--randomise-seed S] [--model PATH] [--out DIR]\n\nMethods:\n${methodList()}`;
  },
  get options(): Record<string, OptionSpec> {
    return {
      ...MODEL_OPTIONS,
      method: { type: 'string', value: 'ID', description: `the method to check: ${registry.ids().join(', ')}` },
      layers: {
        type: 'string',
        value: 'N|all',
        description: "how many layers of the cascade, from the output (default: all, every layer with weights; `xai layers` lists the model's layers)",
        default: 'all',
      },
      'randomise-seed': { type: 'string', value: 'S', description: 'seeds the re-initialisation and the random logit\'s class', default: '0' },
      out: { type: 'string', short: 'o', value: 'DIR', description: 'output folder (files go to DIR/<image name>/)', default: 'xai-out' },
      ...methodOptions(),
    };
  },
  async run(args, context) {
    if (args.positionals.length > 1) throw new UsageError(`xai sanity checks one image at a time; got ${args.positionals.length}: ${args.positionals.join(', ')}`, 'sanity');
    if (args.values.method === undefined) throw new UsageError('give --method ID, the method to check', 'sanity');
    const methods = parseMethodList(args, 'method', []);
    if (methods.length !== 1) throw new UsageError(`--method takes one method here; got ${methods.map((m) => m.id).join(', ')}`, 'sanity');
    const seed = intOption(args, 'randomise-seed', 0, 0, 0xffffffff);
    const [path] = await listImagesStrictly(args.positionals, 'sanity');
    const outDir = stringOption(args, 'out') ?? 'xai-out';
    const { model, source, backend } = await openModel(args);
    try {
      const asked = targetsArg(args);
      const [prepared] = prepareMethods(methods, model, args, () => asked ?? 'top');
      if ((prepared.named?.length ?? 1) !== 1) throw new UsageError(`--class takes one class here; got ${prepared.named!.length}`, 'sanity');
      const layers = cascadeOf(model, args);
      const input = await loadImageInput(imageItems([path])[0], model, { onNote: (m) => context.stderr.write(`${m}\n`) });
      try {
        const progress = progressReporter(context.stderr, { quiet: Boolean(args.values.quiet) });
        const { top } = await predictTop(model, input.tensor, model.numClasses);
        const classIndex = prepared.named?.[0].index ?? top[0].classIndex;
        const explain = explainerOf(prepared);
        const work = { seed, classIndex, signal: context.signal, batchSize: prepared.batchSize };
        const onProgress = (stage: string) => (e: { done: number; total: number }) => progress.onProgress({ ...e, stage: `${prepared.method.id} ${stage}` });
        let cascade: RandomisationResult;
        let logit: RandomLogitResult;
        try {
          cascade = await modelParameterRandomisation(model, input.tensor, explain, { ...work, layers, onProgress: onProgress('randomisation') });
          logit = await randomLogitTest(model, input.tensor, explain, { ...work, onProgress: onProgress('random logit') });
        } finally {
          progress.done();
        }
        const dir = join(outDir, input.item.stem);
        await mkdir(dir, { recursive: true });
        const stem = `sanity-${prepared.method.id}`;
        const files = { figure: join(dir, `${stem}.png`), json: join(dir, `${stem}.json`) };
        await writeFigure(files.figure, input, model, prepared, cascade, logit);
        const probability = top.find((t) => t.classIndex === classIndex)!.probability;
        const report = {
          input: { path },
          model: { source, engine: model.engine, backend: backend.id, input: model.input, numClasses: model.numClasses },
          method: { id: prepared.method.id, label: prepared.method.label, params: cascade.original.params },
          class: { index: classIndex, name: model.classNames?.[classIndex], probability },
          seed,
          reinitialisation: REINITIALISATION,
          similarity: SIMILARITY,
          cascade: cascade.steps.map((s, k) => ({ step: k + 1, layer: s.layer, layers: s.layers, spearman: s.spearman, ssim: s.ssim })),
          randomLogit: {
            classIndex: logit.otherClass,
            className: model.classNames?.[logit.otherClass],
            spearman: logit.spearman,
            ssim: logit.ssim,
          },
          files,
        };
        await writeFileAtomic(files.json, JSON.stringify(report, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
        if (!args.values.quiet) {
          const last = cascade.steps[cascade.steps.length - 1];
          context.stderr.write(
            `${path}: ${classLabel({ classIndex, className: model.classNames?.[classIndex] })}; ${cascade.steps.length} layers randomised: ` +
              `Spearman ${fixed(last.spearman)}, SSIM ${fixed(last.ssim)}; random logit: Spearman ${fixed(logit.spearman)}, SSIM ${fixed(logit.ssim)}\n` +
              `wrote ${files.figure} and ${files.json}\n`,
          );
        }
      } finally {
        input.tensor.dispose();
      }
    } finally {
      model.dispose();
    }
  },
};

/** --layers: a count from 1 to the model's layers with weights, or all; checked before any work. */
function cascadeOf(model: Classifier, args: ParsedArgs): number | undefined {
  let all: number;
  try {
    all = cascadeLayers(model).length;
  } catch (error) {
    if (error instanceof XaiError) throw new UsageError(error.message, 'sanity');
    throw error;
  }
  if (stringOption(args, 'layers') === undefined || stringOption(args, 'layers') === 'all') return undefined;
  return intOption(args, 'layers', all, 1, all);
}

/** The prepared method, prepared again on each model it is handed (a copy resolves its own layers), for one class. */
function explainerOf(prepared: PreparedMethod): Explainer {
  return async (model, image, classIndex, work) => {
    const onModel = prepareMethod(prepared.method, model, {
      params: prepared.params,
      batchSize: prepared.batchSize,
      targets: classIndex,
      layer: prepared.layers.length ? prepared.layers.map((l) => l.name) : undefined,
    });
    const maps = await runPrepared(onModel, model, image, work);
    return maps[0];
  };
}

async function writeFigure(
  path: string,
  input: LoadedInput,
  model: Classifier,
  prepared: PreparedMethod,
  cascade: RandomisationResult,
  logit: RandomLogitResult,
): Promise<void> {
  const image = input.pixels ?? (await deprocess(input.tensor, model.preprocessing));
  const name = (index: number) => classLabel({ classIndex: index, className: model.classNames?.[index] });
  const caption = (s: { spearman: number; ssim: number }) => `ρ ${fixed(s.spearman)} · SSIM ${fixed(s.ssim)}`;
  await writeMapRow(
    path,
    [
      { title: 'trained model', map: cascade.original, caption: name(cascade.classIndex) },
      ...cascade.steps.map((s) => ({ title: `+ ${s.layer}`, map: s.map, caption: caption(s) })),
      { title: `random logit: ${name(logit.otherClass)}`, map: logit.map, caption: caption(logit) },
    ],
    {
      image,
      title: `${prepared.method.label}: cascading randomisation from the output (seed ${cascade.seed}), then the map of a random other class`,
    },
  );
}

function fixed(value: number): string {
  return Number.isFinite(value) ? value.toFixed(2) : 'n/a';
}
