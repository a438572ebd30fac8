import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { XaiError } from '@xai/core';
import { writeFileAtomic } from '@xai/core/node';
import { type Command, UsageError, stringOption } from '../command.js';
import { writeCompareReport } from '../figures.js';
import { keyDifferences, settingsKeyDifferences, showValue, type KeyDifference } from '../keys.js';
import { type CompareResults, type ImageResult, sortFailures, sortImages, summarize, summaryTable } from '../results.js';

export const merge: Command = {
  name: 'merge',
  summary: "Combine the results.json of `xai compare --shard` runs into one, as a single run would give.",
  usage:
    'xai merge <dir…> [--out DIR] [--partial]\n\n' +
    'The folders must hold shards of one experiment: the same keys (model, preprocessing, engine, methods and\n' +
    'their parameters, metric protocol, inputs) and every shard 1…N once. --out must not be one of them or inside one.',
  minPositionals: 1,
  options: {
    out: { type: 'string', short: 'o', value: 'DIR', description: 'where to write the merged results.json and report.html', default: 'xai-merged' },
    partial: { type: 'boolean', description: 'merge an incomplete set of shards; results.json and the report say which are missing' },
  },
  async run(args, context) {
    const out = stringOption(args, 'out') ?? 'xai-merged';
    const partial = Boolean(args.values.partial);
    refuseOutInsideInputs(out, args.positionals);
    const parts: { dir: string; results: CompareResults }[] = [];
    for (const dir of args.positionals) {
      const path = join(dir, 'results.json');
      let results: CompareResults;
      try {
        results = JSON.parse(await readFile(path, 'utf8')) as CompareResults;
      } catch (error) {
        throw new XaiError(`Cannot read ${path}: ${(error as Error).message}; each folder must hold the results.json of an "xai compare" run`);
      }
      if (!results?.key || !results.shard || !results.inputs) {
        throw new XaiError(`${path} records no key or shard (made by an older "xai compare"); rerun compare into it to key its results`);
      }
      parts.push({ dir, results });
    }
    const first = parts[0];
    for (const part of parts.slice(1)) {
      const differences: KeyDifference[] = [
        ...settingsKeyDifferences(first.results.key, part.results.key),
        ...keyDifferences(first.results.methods, part.results.methods, 'methods'),
        ...keyDifferences(first.results.inputs, part.results.inputs, 'inputs'),
        ...keyDifferences(first.results.shard!.count, part.results.shard!.count, 'shard.count'),
      ];
      if (differences.length) {
        const lines = differences.map((d) => `${d.field}: ${showValue(d.old)} (${first.dir}) vs ${showValue(d.new)} (${part.dir})`);
        throw new XaiError(`Cannot merge ${first.dir} and ${part.dir}: they are not shards of one experiment; they differ in\n  ${lines.join('\n  ')}`);
      }
    }
    const count = first.results.shard!.count;
    const byShard = new Map<number, string>();
    for (const { dir, results } of parts) {
      const index = results.shard!.index;
      const seen = byShard.get(index);
      if (seen !== undefined) throw new XaiError(`Shard ${index}/${count} is given twice (${seen} and ${dir}); give each shard once`);
      byShard.set(index, dir);
    }
    const shards = [...byShard.keys()].sort((a, b) => a - b);
    const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byShard.has(i));
    const missingText = `shard${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${count} missing`;
    if (missing.length && !partial) {
      throw new XaiError(`Incomplete set: ${missingText} (given ${shards.join(', ')}); give every shard, or --partial to merge what there is`);
    }

    const outDir = resolve(out);
    const byPath = new Map<string, ImageResult>();
    for (const { dir, results } of parts) {
      for (const image of results.images) {
        // Maps stay in the shard folders; paths become relative to the merged folder.
        const methods = Object.fromEntries(
          Object.entries(image.methods).map(([m, r]) => [m, { ...r, map: relative(outDir, resolve(dir, r.map)).split(sep).join('/') }]),
        );
        byPath.set(image.path, { ...image, methods });
      }
    }
    const images = sortImages([...byPath.values()]);
    const methods = first.results.methods;
    const notes = missing.length
      ? [`Partial merge: ${missingText}; the numbers cover ${images.length} images of the ${first.results.inputs.count} inputs`]
      : [];
    const merged: CompareResults = {
      model: first.results.model,
      key: first.results.key,
      merged: { count, shards, missing },
      inputs: first.results.inputs,
      methods,
      protocol: first.results.protocol,
      images,
      failed: sortFailures(parts.flatMap((p) => p.results.failed)),
      summary: summarize(images, methods, first.results.key.protocol),
      notes,
    };
    await writeFileAtomic(join(out, 'results.json'), JSON.stringify(merged, null, 2) + '\n');
    await writeCompareReport(join(out, 'report.html'), merged, out);
    for (const note of notes) context.stderr.write(`xai: ${note}\n`);
    context.stdout.write(summaryTable(merged));
  },
};

/** `--out` equal to or inside an input folder would overwrite a shard: a usage error. */
function refuseOutInsideInputs(out: string, dirs: readonly string[]): void {
  // The real path of the deepest existing ancestor, then the rest as given (--out may not exist yet).
  const real = (path: string): string => {
    const absolute = resolve(path);
    try {
      return realpathSync(absolute);
    } catch {
      const parent = dirname(absolute);
      return parent === absolute ? absolute : join(real(parent), basename(absolute));
    }
  };
  const target = real(out);
  for (const dir of dirs) {
    const input = real(dir);
    if (target === input || target.startsWith(input.endsWith(sep) ? input : input + sep)) {
      throw new UsageError(
        `--out ${out} is ${target === input ? 'the input folder' : 'inside the input folder'} ${dir}; merge never writes into the folders it reads: choose another --out`,
        'merge',
      );
    }
  }
}
