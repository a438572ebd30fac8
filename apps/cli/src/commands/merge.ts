import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@xai/core/node';
import { join } from 'node:path';
import { XaiError } from '@xai/core';
import { type Command, stringOption } from '../command.js';
import { type CompareResults, type ImageResult, sortImages, summarize, summaryTable } from '../results.js';

export const merge: Command = {
  name: 'merge',
  summary: "Combine the results.json of `xai compare --shard` runs into one, as a single run would give.",
  usage: 'xai merge <dir…> [--out DIR]',
  minPositionals: 1,
  options: { out: { type: 'string', short: 'o', value: 'DIR', description: 'where to write the merged results.json', default: 'xai-merged' } },
  async run(args, context) {
    const parts: CompareResults[] = [];
    for (const dir of args.positionals) {
      const path = join(dir, 'results.json');
      try {
        parts.push(JSON.parse(await readFile(path, 'utf8')) as CompareResults);
      } catch (error) {
        throw new XaiError(`Cannot read ${path}: ${(error as Error).message}; each folder must hold the results.json of an "xai compare" run`);
      }
    }
    const methods = parts[0].methods;
    const mismatch = parts.find((p) => p.methods.join() !== methods.join() || p.model !== parts[0].model);
    if (mismatch) throw new XaiError('The runs differ in model or methods; only slices of one experiment can be merged');
    const byPath = new Map<string, ImageResult>();
    for (const part of parts) for (const image of part.images) byPath.set(image.path, image);
    const images = sortImages([...byPath.values()]);
    const merged: CompareResults = {
      model: parts[0].model,
      methods,
      protocol: parts[0].protocol,
      images,
      failed: parts.flatMap((p) => p.failed),
      summary: summarize(images, methods),
    };
    const out = stringOption(args, 'out') ?? 'xai-merged';
    await mkdir(out, { recursive: true });
    await writeFileAtomic(join(out, 'results.json'), JSON.stringify(merged, null, 2) + '\n');
    context.stdout.write(summaryTable(merged));
  },
};
