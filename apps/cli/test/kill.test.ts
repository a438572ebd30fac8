/**
 * Issue 13, the kill test: `xai masks` and `xai compare` killed with SIGKILL at random points never
 * leave an unreadable file, and a rerun completes to the same bytes as an uninterrupted run.
 *
 * The built binary runs in a child process and is killed after a delay drawn from core's seeded
 * `Random`, spread over the duration of an uninterrupted run measured first. Where a kill lands
 * depends on the machine's speed, so the assertions hold for every outcome: absent, old, or new
 * whole file, never part of one.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import { Random } from '@xai/core';
import { fixturePath } from '@xai/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkReadable,
  filesUnder,
  isTemporary,
  readWholeNpy,
  runBinary,
  sha256,
  targetOfTemporary,
  temporaryOf,
  type ChildRun,
} from './kill-helpers.js';

const KILLS_PER_COMMAND = 20;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'xai-kill-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A delay drawn uniformly over (0, duration]: kills land in startup, mid-work, mid-write or after. */
const delayIn = (random: Random, ms: number) => Math.max(1, Math.round(random.uniform() * ms));

function expectClean(run: ChildRun, what: string): void {
  expect(run.signal, `${what}: ${run.stderr}`).toBeNull();
  expect(run.code, `${what}: ${run.stderr}`).toBe(0);
}

describe('xai masks killed with SIGKILL', () => {
  // 4000 masks of 96×96 float32: a 147 MB file, about half a second of writing and fsync here
  // after about half a second of start-up, so kills land both before and during the write.
  const [N, H, W] = [4000, 96, 96];
  const masksArgs = (seed: number) => ['masks', '--kind', 'binary', '--n', String(N), '--s', '8', '--seed', String(seed), '--size', `${H}x${W}`, '--out', 'm.npy', '--quiet'];

  it(`leaves the previous file, the new one or none, never part of one (${KILLS_PER_COMMAND} kills)`, { timeout: 150_000 }, async () => {
    const dir = join(root, 'masks');
    mkdirSync(dir);
    const target = join(dir, 'm.npy');

    // Uninterrupted runs of the two seeds: the bytes a finished run gives, and how long one takes.
    const seeds = [1, 2];
    const expected = new Map<number, string>();
    let duration = Infinity;
    for (const seed of seeds) {
      const run = await runBinary(masksArgs(seed), { cwd: dir });
      expectClean(run, `masks --seed ${seed}`);
      const bytes = new Uint8Array(readFileSync(target));
      expect(readWholeNpy(bytes, target).shape).toEqual([N, 1, H, W]);
      expected.set(seed, sha256(bytes));
      duration = Math.min(duration, run.ms);
      rmSync(target);
    }
    expect(expected.get(1)).not.toBe(expected.get(2));

    const random = new Random(1301);
    const outcomes = { beforeWrite: 0, midWrite: 0, afterRename: 0, finished: 0 };
    let previous: string | undefined; // hash of the whole file at m.npy before the run, if any
    for (let i = 0; i < KILLS_PER_COMMAND; i++) {
      // Each run draws the seed whose file is not on disk, so old and new bytes always differ.
      const seed = previous === expected.get(1) ? 2 : 1;
      const fresh = expected.get(seed)!;
      const run = await runBinary(masksArgs(seed), { cwd: dir, killAfterMs: delayIn(random, duration) });
      const what = `kill ${i + 1} (${run.signal ?? `exit ${run.code}`} after ${Math.round(run.ms)} ms)`;

      // Nothing but m.npy and the killed run's own temporary files. Those are harmless: nothing
      // reads a `.m.npy.<pid>.<random>.tmp` name, and a later run writes its own.
      const others = filesUnder(dir).filter((name) => name !== 'm.npy');
      for (const name of others) expect(temporaryOf(name), `${what}: stray file ${name}`).toEqual({ target: 'm.npy', pid: run.pid });

      let now: string | undefined;
      try {
        const bytes = new Uint8Array(readFileSync(target));
        const array = readWholeNpy(bytes, `${what}: m.npy`);
        expect(array.dtype).toBe('float32');
        expect(array.shape).toEqual([N, 1, H, W]);
        expect(array.data.length).toBe(N * H * W);
        now = sha256(bytes);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      if (run.signal === null) {
        expectClean(run, what);
        expect(now, `${what}: a finished run leaves its file`).toBe(fresh);
        outcomes.finished++;
      } else {
        expect(run.signal).toBe('SIGKILL');
        expect([previous, fresh], `${what}: m.npy is neither the old file nor the new one`).toContain(now);
        if (others.length) outcomes.midWrite++;
        else if (now === fresh) outcomes.afterRename++;
        else outcomes.beforeWrite++;
      }
      // Removed only to bound the disk space 20 runs take (each can be up to 147 MB).
      for (const name of others) rmSync(join(dir, name));
      previous = now;
    }
    console.log(`xai masks: ${duration.toFixed(0)} ms uninterrupted; ${KILLS_PER_COMMAND} runs:`, outcomes);
  });
});

// compare writes small files (the largest, report.html, about 0.5 MB) between long stretches of
// work, so few kills land inside a write: this half checks above all that a killed run leaves
// only whole, consistent files and that resuming gives an uninterrupted run's bytes. The masks
// half, with its 147 MB write, is the one that catches a writer that is not atomic.
describe('xai compare killed with SIGKILL', () => {
  const model = fixturePath('tiny-chelsea', 'model.onnx');
  let images: string;
  const compareArgs = (out: string) => ['compare', images, '--model', model, '--preprocessing', 'imagenet', '--methods', 'rise,grad-cam', '--n', '64', '--step', '512', '--out', out, '--quiet'];

  beforeAll(async () => {
    images = join(root, 'images');
    mkdirSync(images);
    const photo = sharp(fixturePath('tiny-chelsea', 'image.png'));
    for (let i = 0; i < 8; i++) {
      const variant = (i % 2 ? photo.clone().flop() : photo.clone()).resize(64 + 8 * i, 64 + 4 * i);
      await (i % 3 === 2 ? variant.jpeg().toFile(join(images, `img${i}.jpg`)) : variant.png().toFile(join(images, `img${i}.png`)));
    }
  });

  /** Files whose content is wall-clock time: present in both runs, bytes not compared. */
  const timingOnly = (path: string) => /^timings?\b[^/]*\.json$/.test(basename(path));

  /** Every file under a killed run's folder is whole, or a temporary file of one of the killed runs. */
  async function checkFolder(out: string, killed: number[], what: string): Promise<{ files: number; temporary: string[]; results: number }> {
    const files = filesUnder(out);
    const temporary = files.filter(isTemporary);
    for (const path of temporary) {
      expect(killed, `${what}: ${path} is not a killed run's`).toContain(temporaryOf(basename(path))!.pid);
      expect(targetOfTemporary(path), `${what}: ${path}`).toMatch(/\.(json|npy|png|html)$/);
    }
    let results = 0; // image × method results recorded in item files
    for (const path of files.filter((p) => !isTemporary(p))) {
      await expect(checkReadable(join(out, path)), `${what}: ${path}`).resolves.toBeUndefined();
      if (dirname(path) !== 'items' || !path.endsWith('.json')) continue;
      // A result's map is written before the item file that records it, so it is there and whole.
      const item = JSON.parse(readFileSync(join(out, path), 'utf8')) as { methods?: Record<string, { map?: unknown }> };
      for (const result of Object.values(item.methods ?? {})) {
        results++;
        if (typeof result.map === 'string') await expect(checkReadable(join(out, result.map)), `${what}: ${path} → ${result.map}`).resolves.toBeUndefined();
      }
    }
    return { files: files.length - temporary.length, temporary, results };
  }

  it(`leaves only whole files, and a rerun gives an uninterrupted run's bytes (${KILLS_PER_COMMAND} kills)`, { timeout: 150_000 }, async () => {
    const reference = join(root, 'compare-reference');
    const first = await runBinary(compareArgs(reference), { cwd: root });
    expectClean(first, 'uninterrupted compare');
    const referenceFiles = filesUnder(reference);
    expect(referenceFiles).toContain('results.json');
    expect(referenceFiles).toContain('report.html');
    expect(referenceFiles.filter((p) => /^items\/[^/]+\.json$/.test(p))).toHaveLength(8);
    for (const path of referenceFiles) await checkReadable(join(reference, path));
    const duration = first.ms;

    const random = new Random(1302);
    const log: string[] = [];
    let midWrite = 0;
    let leftovers = 0;
    // Kills come in pairs on one folder: a run from scratch is killed, then its resumption is
    // killed too, then a last run completes it and is compared with the uninterrupted one.
    for (let pair = 0; pair < KILLS_PER_COMMAND / 2; pair++) {
      const out = join(root, `compare-${pair}`);
      const killed: number[] = [];
      for (let k = 0; k < 2; k++) {
        const run = await runBinary(compareArgs(out), { cwd: root, killAfterMs: delayIn(random, duration) });
        const what = `pair ${pair + 1} kill ${k + 1} (${run.signal ?? `exit ${run.code}`} after ${Math.round(run.ms)} ms)`;
        if (run.signal === null) expectClean(run, what);
        else killed.push(run.pid);
        const seen = await checkFolder(out, killed, what);
        const own = seen.temporary.filter((p) => temporaryOf(basename(p))!.pid === run.pid);
        if (own.length) midWrite++; // the kill landed inside a write
        log.push(`${run.signal ? 'killed' : 'finished'} at ${Math.round(run.ms)} ms: ${seen.results}/16 results, ${seen.files} files${own.length ? `, left ${own.join(' ')}` : ''}`);
      }
      const rerun = await runBinary(compareArgs(out), { cwd: root });
      expectClean(rerun, `pair ${pair + 1} rerun`);
      const files = filesUnder(out);
      // The killed runs' temporary files may remain beside their targets (harmless: no command
      // reads those names); apart from them the folder holds exactly the uninterrupted run's files.
      leftovers += files.filter(isTemporary).length;
      expect(files.filter((p) => !isTemporary(p))).toEqual(referenceFiles);
      for (const path of referenceFiles) {
        if (timingOnly(path)) continue;
        const same = readFileSync(join(out, path)).equals(readFileSync(join(reference, path)));
        expect(same, `pair ${pair + 1}: ${path} differs from the uninterrupted run`).toBe(true);
      }
      rmSync(out, { recursive: true, force: true });
    }
    console.log(
      `xai compare: ${duration.toFixed(0)} ms uninterrupted; ${midWrite} kills landed inside a write, ${leftovers} temporary files left in all\n  ${log.join('\n  ')}`,
    );
  });
});
