import { binaryMasks, gaussianMasks } from '@xai/rise';
import { writeMasksFile } from '@xai/rise/node';
import { type Command, UsageError, choiceOption, intOption, numberOption, stringOption } from '../command.js';
import { writeMaskPreview } from '../figures.js';
import { METHOD_OPTIONS } from '../methods.js';

export const masks: Command = {
  name: 'masks',
  summary: 'Draw RISE masks and save them as .npy (the format RISE users exchange).',
  usage: 'xai masks --kind binary|gaussian --n N --s S [--p1 P] [--seed SEED] --size HxW --out FILE.npy [--preview PNG]',
  options: {
    kind: { type: 'string', value: 'binary|gaussian', description: 'mask kind', default: 'binary' },
    n: METHOD_OPTIONS.n,
    s: METHOD_OPTIONS.s,
    p1: METHOD_OPTIONS.p1,
    seed: METHOD_OPTIONS.seed,
    size: { type: 'string', value: 'HxW', description: 'mask size, e.g. 224x224' },
    out: { type: 'string', short: 'o', value: 'FILE.npy', description: 'where to write the masks (N×1×H×W float32)' },
    preview: { type: 'string', value: 'PNG', description: 'also write a picture of the first masks' },
  },
  async run(args, context) {
    const kind = choiceOption(args, 'kind', ['binary', 'gaussian'] as const, 'binary');
    const size = /^(\d+)x(\d+)$/.exec(stringOption(args, 'size') ?? '');
    if (!size) throw new UsageError('--size HxW is required, e.g. --size 224x224', 'masks');
    const out = stringOption(args, 'out');
    if (!out) throw new UsageError('--out FILE.npy is required', 'masks');
    const [height, width] = [Number(size[1]), Number(size[2])];
    const common = { n: intOption(args, 'n', 4000), s: intOption(args, 's', 8, 2), seed: intOption(args, 'seed', 0, 0), height, width };
    if (kind === 'gaussian' && args.values.p1 !== undefined) throw new UsageError('--p1 applies to binary masks only', 'masks');
    const source = kind === 'binary' ? binaryMasks({ ...common, p1: numberOption(args, 'p1', 0.5) }) : gaussianMasks(common);
    await writeMasksFile(out, source);
    const preview = stringOption(args, 'preview');
    if (preview) await writeMaskPreview(preview, source);
    if (!args.values.quiet) context.stderr.write(`wrote ${common.n} ${kind} masks of ${height}×${width} to ${out}\n`);
  },
};
