import { binaryMasks, gaussianMasks, riseBinary, riseGaussian } from '@xai/rise';
import { writeMasksFile } from '@xai/rise/node';
import { DEFAULT_BATCH_SIZE, flagName } from '@xai/core';
import { type Command, UsageError, choiceOption, stringOption } from '../command.js';
import { writeMaskPreview } from '../figures.js';
import { checkDiskSpace, formatBytes, memoryBudget } from '../limits.js';
import { paramOption, paramsFromFlags } from '../methods.js';

/** The mask parameters of RISE's descriptors (everything but how masks are scored and when RISE stops). */
const drawing = (specs: typeof riseBinary.params) => specs.filter((p) => p.name !== 'scores' && p.name !== 'untilStable');

export const masks: Command = {
  name: 'masks',
  summary: 'Draw RISE masks and save them as .npy (the format RISE users exchange).',
  usage: 'xai masks --kind binary|gaussian --n N --s S [--p1 P] [--seed SEED] [--mask-order reference|per-mask] --size HxW --out FILE.npy [--preview PNG]',
  options: {
    kind: { type: 'string', value: 'binary|gaussian', description: 'mask kind', default: 'binary' },
    ...Object.fromEntries(drawing(riseBinary.params).map((p) => [flagName(p.name), paramOption(p)])),
    size: { type: 'string', value: 'HxW', description: 'mask size, e.g. 224x224' },
    out: { type: 'string', short: 'o', value: 'FILE.npy', description: 'where to write the masks (N×1×H×W float32)' },
    preview: { type: 'string', value: 'PNG', description: 'also write a picture of the first masks' },
  },
  async run(args, context) {
    const kind = choiceOption(args, 'kind', ['binary', 'gaussian'] as const, 'binary');
    const size = /^(\d+)x(\d+)$/.exec(stringOption(args, 'size') ?? '');
    if (!size) throw new UsageError('--size HxW is required, e.g. --size 224x224', 'masks');
    if (Number(size[1]) < 1 || Number(size[2]) < 1) throw new UsageError(`--size takes H and W ≥ 1, got "${size[0]}"`, 'masks');
    const out = stringOption(args, 'out');
    if (!out) throw new UsageError('--out FILE.npy is required', 'masks');
    const [height, width] = [Number(size[1]), Number(size[2])];
    if (kind === 'gaussian' && args.values.p1 !== undefined) throw new UsageError('--p1 applies to binary masks only', 'masks');
    const params = paramsFromFlags(drawing((kind === 'binary' ? riseBinary : riseGaussian).params), args, 'masks');
    // auto means what RISE draws without a stopping rule: the reference order.
    const order = params.maskOrder === 'per-mask' ? 'per-mask' : 'reference';
    const common = { n: params.n as number, s: params.s as number, seed: params.seed as number, order, height, width } as const;
    // Masks are drawn and written a batch at a time: as many as fit the memory budget (each is
    // held twice, as values and as file bytes), and the whole file must fit on the disk.
    const perMask = height * width * 4;
    const batchSize = Math.min(DEFAULT_BATCH_SIZE, Math.floor(memoryBudget() / (2 * perMask)));
    if (batchSize < 1) {
      throw new UsageError(`--size ${height}x${width}: one mask takes ${formatBytes(2 * perMask)} to draw, over the memory budget of ${formatBytes(memoryBudget())}`, 'masks');
    }
    await checkDiskSpace(out, common.n * perMask, `--n ${common.n} masks of --size ${height}x${width} (float32)`, 'masks');
    const source = kind === 'binary' ? binaryMasks({ ...common, p1: params.p1 as number }) : gaussianMasks(common);
    await writeMasksFile(out, source, { batchSize });
    const preview = stringOption(args, 'preview');
    if (preview) await writeMaskPreview(preview, source);
    if (!args.values.quiet) context.stderr.write(`wrote ${common.n} ${kind} masks of ${height}×${width} to ${out}\n`);
  },
};
