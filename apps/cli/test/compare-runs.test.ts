import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { fixturePath, useBackend } from '@xai/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { listImages } from '../src/inputs.js';
import { shardOf } from '../src/results.js';
import { scratchDir, xai } from './run-cli.js';

const model = fixturePath('tiny-chelsea', 'model.onnx');
const photo = fixturePath('tiny-chelsea', 'image.png');
const onnx = ['--model', model, '--preprocessing', 'imagenet'];
const samples = resolve(dirname(fileURLToPath(import.meta.url)), '../../../packages/zoo/samples');

/** Three small variants of the golden photo. */
async function imageFolder(): Promise<string> {
  const dir = scratchDir('xai-runs-');
  const base = sharp(photo);
  await base.clone().resize(96, 64).png().toFile(join(dir, 'a.png'));
  await base.clone().flop().resize(80, 80).jpeg().toFile(join(dir, 'b.jpg'));
  await base.clone().greyscale().resize(64, 64).png().toFile(join(dir, 'd.png'));
  return dir;
}

const read = (path: string) => readFileSync(path, 'utf8');
const results = (dir: string) => JSON.parse(read(join(dir, 'results.json')));

/** Every results.json and items/*.json of a run folder, by name. */
function resultFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = { 'results.json': read(join(dir, 'results.json')) };
  for (const name of readdirSync(join(dir, 'items')).filter((n) => n.endsWith('.json')).sort()) files[`items/${name}`] = read(join(dir, 'items', name));
  return files;
}

describe('xai compare: keyed, resumable runs', () => {
  let images: string;
  beforeAll(async () => {
    await useBackend('wasm');
    images = await imageFolder();
  });

  it('a rerun reuses only results whose key matches; --no-recompute refuses naming the fields', async () => {
    const out = scratchDir();
    const first = await xai('compare', images, ...onnx, '--methods', 'rise,grad-cam', '--n', '24', '--step', '512', '--out', out, '--quiet');
    expect(first.code, first.stderr).toBe(0);
    const before = resultFiles(out);
    const saved = results(out);
    expect(saved.key.methods.rise.params.n).toBe(24);
    expect(saved.key.methods['grad-cam'].layers).toEqual(['layer4']);
    expect(saved.key.model).toMatch(/^[0-9a-f]{64}$/);
    for (const image of saved.images) {
      expect(image.key.model).toBe(saved.key.model);
      expect(image.key.input).toMatch(/^[0-9a-f]{64}$/);
      expect(image.methods.rise.key).toEqual(saved.key.methods.rise);
    }

    const same = await xai('compare', images, ...onnx, '--methods', 'rise,grad-cam', '--n', '24', '--step', '512', '--out', out, '--quiet');
    expect(same.code).toBe(0);
    expect(same.stderr).toMatch(/reusing 6 of 6 results .*recomputing 0/);
    expect(resultFiles(out)).toEqual(before);

    // Another model (the demo model) and another n: refused with --no-recompute, naming both.
    const refused = await xai('compare', images, '--methods', 'rise,grad-cam', '--n', '12', '--step', '512', '--out', out, '--no-recompute', '--quiet');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--no-recompute: 6 results in .* were made with other settings/);
    expect(refused.stderr).toMatch(/\bmodel: sha256:[0-9a-f]{12}… → sha256:[0-9a-f]{12}…/);
    expect(refused.stderr).toMatch(/\brise\.n: 24 → 12\b/);
    expect(refused.stdout).toBe('');
    expect(resultFiles(out)).toEqual(before);

    const other = await xai('compare', images, '--methods', 'rise,grad-cam', '--n', '12', '--step', '512', '--out', out, '--quiet');
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toMatch(/reusing 0 of 6 results .*recomputing 6 made with other settings/);
    expect(other.stderr).toMatch(/model: .* \(6 results\)/);
    const now = results(out);
    expect(now.model).toBe('demo model (@xai/zoo)');
    expect(now.key.model).not.toBe(saved.key.model);
    expect(now.protocol.settings.rise.n).toBe(12);
    expect(now.key.methods.rise.params.n).toBe(12);
    for (const image of now.images) {
      expect(image.key.model).toBe(now.key.model);
      expect(image.methods.rise.key.params.n).toBe(12);
    }

    // One method's parameter changed: only that method is recomputed.
    const partly = await xai('compare', images, '--methods', 'rise,grad-cam', '--n', '12', '--s', '4', '--step', '512', '--out', out, '--quiet');
    expect(partly.code).toBe(0);
    expect(partly.stderr).toMatch(/reusing 3 of 6 results .*recomputing 3 made with other settings/);
    expect(partly.stderr).toMatch(/rise\.s: 8 → 4 \(3 results\)/);
    const after = results(out);
    expect(after.images.map((i: { methods: { 'grad-cam': unknown } }) => i.methods['grad-cam'])).toEqual(now.images.map((i: { methods: { 'grad-cam': unknown } }) => i.methods['grad-cam']));
  });

  it('the model is keyed by its content: a copy elsewhere reuses, one changed weight byte recomputes', async () => {
    const dir = scratchDir();
    const copy = join(dir, 'copy.onnx');
    const changed = join(dir, 'changed.onnx');
    cpSync(model, copy);
    const bytes = readFileSync(model);
    bytes[Math.floor(bytes.length * 0.6)] ^= 0x01; // inside the weights: the lowest mantissa bit of one float
    writeFileSync(changed, bytes);
    const args = [images, '--preprocessing', 'imagenet', '--methods', 'rise', '--n', '16', '--step', '512', '--quiet'];
    const out = scratchDir();
    expect((await xai('compare', ...args, '--model', model, '--out', out)).code).toBe(0);
    const moved = await xai('compare', ...args, '--model', copy, '--out', out);
    expect(moved.code).toBe(0);
    expect(moved.stderr).toMatch(/reusing 3 of 3 results/);
    expect(results(out).model).toBe(copy);
    const refused = await xai('compare', ...args, '--model', changed, '--out', out, '--no-recompute');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/\bmodel: sha256:\S+ → sha256:\S+ \(3 results\)/);
    expect(refused.stderr).not.toMatch(/rise\.n/);
    const recomputed = await xai('compare', ...args, '--model', changed, '--out', out);
    expect(recomputed.code, recomputed.stderr).toBe(0);
    expect(recomputed.stderr).toMatch(/reusing 0 of 3 results .*recomputing 3/);
  });

  it('an interrupted run, resumed, ends with the same bytes as an uninterrupted one; timings stay apart', async () => {
    const args = [images, ...onnx, '--methods', 'rise,abs-cam-init', '--n', '16', '--step', '512', '--quiet'];
    const whole = scratchDir();
    expect((await xai('compare', ...args, '--out', whole)).code).toBe(0);
    const expected = resultFiles(whole);
    expect(expected['results.json']).not.toMatch(/seconds/);
    for (const [name, text] of Object.entries(expected)) if (name.startsWith('items/')) expect(text).not.toMatch(/seconds/);
    const timings = JSON.parse(read(join(whole, 'timings.json')));
    expect(timings.images.a.rise).toBeGreaterThan(0);

    const resumed = scratchDir();
    expect((await xai('compare', ...args, '--out', resumed)).code).toBe(0);
    // As a kill would leave it: no results.json, one item never written, one map lost, one item half done.
    rmSync(join(resumed, 'results.json'));
    rmSync(join(resumed, 'items', 'a.json'));
    rmSync(join(resumed, 'items', 'b', 'rise.npy'));
    const half = JSON.parse(read(join(resumed, 'items', 'd.json')));
    delete half.methods['abs-cam-init'];
    writeFileSync(join(resumed, 'items', 'd.json'), JSON.stringify(half) + '\n');
    const stale = join(resumed, 'items', 'b', '.rise.npy.2147483646.k1ll3d.tmp'); // a killed writer's temporary file
    writeFileSync(stale, 'half a map');
    const again = await xai('compare', ...args, '--out', resumed);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/reusing 2 of 6 results .*recomputing 0 .*computing 4 not done yet/);
    expect(resultFiles(resumed)).toEqual(expected);
    expect(existsSync(stale)).toBe(false);
    expect(readdirSync(join(resumed, 'items', 'b')).sort()).toEqual(readdirSync(join(whole, 'items', 'b')).sort());
    for (const stem of ['a', 'b', 'd']) {
      for (const method of ['rise', 'abs-cam-init']) {
        expect(readFileSync(join(resumed, 'items', stem, `${method}.npy`))).toEqual(readFileSync(join(whole, 'items', stem, `${method}.npy`)));
      }
    }
    // A plain rerun of the finished run changes no byte.
    expect((await xai('compare', ...args, '--out', whole)).code).toBe(0);
    expect(resultFiles(whole)).toEqual(expected);
  });
});

describe('xai merge: only complete sets of one experiment, never into its inputs', () => {
  let images: string;
  beforeAll(async () => {
    await useBackend('wasm');
    images = await imageFolder();
  });
  const args = (n: string) => [images, ...onnx, '--methods', 'rise', '--n', n, '--step', '512', '--quiet'];

  it('refuses shards whose keys differ, naming the field and both values', async () => {
    const [one, two] = [scratchDir(), scratchDir()];
    expect((await xai('compare', ...args('16'), '--shard', '1/2', '--out', one)).code).toBe(0);
    expect((await xai('compare', ...args('8'), '--shard', '2/2', '--out', two)).code).toBe(0);
    expect(results(one).shard).toEqual({ index: 1, count: 2 });
    expect(results(two).shard).toEqual({ index: 2, count: 2 });
    const out = scratchDir();
    const run = await xai('merge', one, two, '--out', join(out, 'm'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not shards of one experiment/);
    expect(run.stderr).toMatch(/rise\.n: 16 \(.*\) vs 8 \(.*\)/);
    expect(existsSync(join(out, 'm', 'results.json'))).toBe(false);
  });

  it('refuses an incomplete or duplicated set; --partial merges and says what is missing', async () => {
    const shards = [scratchDir(), scratchDir(), scratchDir()];
    for (const [i, dir] of shards.entries()) expect((await xai('compare', ...args('16'), '--shard', `${i + 1}/3`, '--out', dir)).code).toBe(0);
    const out = join(scratchDir(), 'merged');

    const incomplete = await xai('merge', shards[0], shards[2], '--out', out);
    expect(incomplete.code).toBe(1);
    expect(incomplete.stderr).toMatch(/Incomplete set: shard 2 of 3 missing \(given 1, 3\).*--partial/);
    expect(existsSync(out)).toBe(false);

    const copy = scratchDir();
    cpSync(shards[0], copy, { recursive: true });
    const duplicated = await xai('merge', shards[0], shards[1], shards[2], copy, '--out', out);
    expect(duplicated.code).toBe(1);
    expect(duplicated.stderr).toMatch(/Shard 1\/3 is given twice/);

    const partial = await xai('merge', shards[0], shards[2], '--out', out, '--partial');
    expect(partial.code).toBe(0);
    expect(partial.stderr).toMatch(/Partial merge: shard 2 of 3 missing/);
    const merged = results(out);
    expect(merged.merged).toEqual({ count: 3, shards: [1, 3], missing: [2] });
    expect(merged.notes.join()).toMatch(/shard 2 of 3 missing/);
    expect(merged.images).toHaveLength(results(shards[0]).images.length + results(shards[2]).images.length);
    expect(read(join(out, 'report.html'))).toMatch(/Partial merge: shard 2 of 3 missing/);

    const complete = await xai('merge', ...shards, '--out', out);
    expect(complete.code).toBe(0);
    expect(results(out).merged).toEqual({ count: 3, shards: [1, 2, 3], missing: [] });
    expect(results(out).images).toHaveLength(3);
    // The merged report finds the maps in the shard folders.
    expect((read(join(out, 'report.html')).match(/data:image\/png;base64/g) ?? []).length).toBeGreaterThanOrEqual(6);
  });

  it('never writes into an input folder: --out equal to or inside a shard is a usage error', async () => {
    const shard = scratchDir();
    expect((await xai('compare', ...args('16'), '--out', shard)).code).toBe(0);
    const before = read(join(shard, 'results.json'));
    for (const out of [shard, join(shard, 'merged'), join(shard, 'items')]) {
      const run = await xai('merge', shard, '--out', out);
      expect(run.code, out).toBe(2);
      expect(run.stderr).toMatch(/merge never writes into the folders it reads/);
    }
    expect(read(join(shard, 'results.json'))).toBe(before);
    expect(existsSync(join(shard, 'merged'))).toBe(false);
  });
});

describe('xai compare: exit codes a scheduler can trust', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('exits 2 before any work for a missing or empty folder and a malformed --shard', async () => {
    const empty = scratchDir();
    const junk = scratchDir();
    writeFileSync(join(junk, 'notes.txt'), 'not an image');
    writeFileSync(join(junk, 'only.mask.png'), 'a mask is never an input');
    const cases: [string[], RegExp][] = [
      [[join(empty, 'nothing-here')], /nothing-here does not exist; give image files or folders of them/],
      [[empty], /holds no images; accepted extensions: \.jpg, \.jpeg, \.png/],
      [[junk], /holds no images; accepted extensions/],
      [[junk, '--shard', '1/x'], /--shard takes I\/N/],
      [[empty, '--shard', '0/2'], /--shard takes I\/N with 1 ≤ I ≤ N/],
      [[empty, '--shard', '2'], /--shard takes I\/N/],
    ];
    for (const [argv, message] of cases) {
      const out = scratchDir();
      const run = await xai('compare', ...argv, '--methods', 'rise', '--out', join(out, 'x'), '--quiet');
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stdout).toBe('');
      expect(existsSync(join(out, 'x')), argv.join(' ')).toBe(false);
    }
    const images = await imageFolder();
    const badLayer = await xai('compare', images, ...onnx, '--methods', 'grad-cam', '--layer', 'nosuch', '--out', join(empty, 'y'), '--quiet');
    expect(badLayer.code).toBe(2);
    expect(existsSync(join(empty, 'y'))).toBe(false);
  });

  it('exits 1 when inputs fail, with every result and the failures written, and no NaN', async () => {
    const dir = scratchDir();
    writeFileSync(join(dir, 'broken.png'), 'not an image at all');
    const out = scratchDir();
    const run = await xai('compare', dir, ...onnx, '--methods', 'rise,grad-cam', '--n', '8', '--out', out, '--quiet');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/1 of 1 image failed \(listed under "failed"/);
    const written = results(out);
    expect(written.images).toEqual([]);
    expect(written.failed).toEqual([{ path: join(dir, 'broken.png'), error: expect.stringMatching(/Cannot decode/) }]);
    expect(written.summary.table.rise.insertion.mean).toBeNull();
    expect(written.summary.table.rise.insertion.interval).toBeNull();
    expect(run.stdout).not.toMatch(/NaN/);
    expect(run.stdout).toMatch(/rise\s+0\s+–\s+–/);
    expect(read(join(out, 'report.html'))).toMatch(/broken\.png/);
  });

  it('an empty shard is no error: exit 0, a note, and an empty but valid results.json and report', async () => {
    const images = await imageFolder();
    const paths = (await listImages([images])).map((p) => resolve(p));
    const count = 40;
    const index = Array.from({ length: count }, (_, i) => i).find((i) => paths.every((p) => shardOf(p, count) !== i))!;
    const out = scratchDir();
    const run = await xai('compare', images, ...onnx, '--methods', 'rise,grad-cam', '--shard', `${index + 1}/${count}`, '--out', out, '--quiet');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(new RegExp(`shard ${index + 1}/${count} holds none of the 3 inputs`));
    expect(run.stdout).not.toMatch(/NaN/);
    expect(run.stdout).toMatch(/grad-cam\s+0\s+–\s+–/);
    const written = results(out);
    expect(written.shard).toEqual({ index: index + 1, count });
    expect(written.inputs.count).toBe(3);
    expect(written.key.methods.rise.params.n).toBe(4000);
    expect(written.images).toEqual([]);
    expect(written.notes[0]).toMatch(/holds none of the 3 inputs/);
    expect(read(join(out, 'report.html'))).toMatch(/holds none of the 3 inputs/);
  });
});

describe('xai compare: ground truth beside the images, animated images', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('explains the zoo samples, never their masks, and scores both pointing games', async () => {
    expect((await listImages([samples])).filter((p) => /\.mask\./.test(p))).toEqual([]);
    const out = scratchDir();
    const run = await xai('compare', samples, '--methods', 'rise,grad-cam', '--n', '32', '--out', out, '--quiet');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/insertion ↑\s+deletion ↓\s+pointing-game ↑/);
    const written = results(out);
    expect(written.images).toHaveLength(8);
    for (const image of written.images) {
      expect(image.path).not.toMatch(/\.mask\./);
      expect(image.groundTruth).toMatchObject({ source: 'mask', files: [expect.stringMatching(/\.mask\.png$/), expect.stringMatching(/\.json$/)] });
      expect(image.key.groundTruth).toMatch(/^[0-9a-f]{64}$/);
      for (const method of ['rise', 'grad-cam']) {
        const pointing = image.methods[method].metrics['pointing-game'];
        expect(pointing.value).toBe(pointing.details.hit ? 1 : 0);
        expect(pointing.details.energy).toBeGreaterThanOrEqual(0);
        expect(pointing.details.energy).toBeLessThanOrEqual(1);
      }
    }
    for (const method of ['rise', 'grad-cam']) {
      const pointing = written.summary.table[method]['pointing-game'];
      expect(pointing.images).toBe(8);
      const hits = written.images.filter((i: { methods: Record<string, { metrics: Record<string, { value: number }> }> }) => i.methods[method].metrics['pointing-game'].value === 1);
      expect(pointing.mean).toBe(hits.length / 8);
      expect(pointing.meanEnergy).toBeGreaterThan(0);
    }
    expect(readdirSync(join(out, 'items')).filter((n) => n.endsWith('.json'))).toHaveLength(8);
    expect(read(join(out, 'report.html'))).toMatch(/<th>pointing-game ↑<\/th>/);
  });

  it('takes a box from NAME.json when there is no mask, and skips a listed mask whose image is beside it', async () => {
    const dir = scratchDir();
    for (const file of ['circle-1.png', 'circle-1.mask.png', 'circle-1.json', 'star-2.png', 'star-2.json']) cpSync(join(samples, file), join(dir, file));
    const out = scratchDir();
    const listed = ['circle-1.png', 'circle-1.mask.png', 'star-2.png'].map((f) => join(dir, f));
    const run = await xai('compare', ...listed, '--methods', 'grad-cam', '--out', out, '--quiet');
    expect(run.code, run.stderr).toBe(0);
    const written = results(out);
    expect(written.images.map((i: { stem: string }) => i.stem)).toEqual(['circle-1', 'star-2']);
    expect(written.images[0].groundTruth.source).toBe('mask');
    expect(written.images[1].groundTruth).toEqual({ source: 'bbox', files: ['star-2.json'], className: 'star' });
    expect(written.summary.table['grad-cam']['pointing-game'].images).toBe(2);
  });

  it('reads an animated GIF as its first frame and says so once', async () => {
    const dir = scratchDir();
    mkdirSync(dir, { recursive: true });
    const frame = (colour: string) => sharp({ create: { width: 48, height: 40, channels: 3, background: colour } }).png().toBuffer();
    await sharp([await frame('red'), await frame('blue')], { join: { animated: true } }).gif().toFile(join(dir, 'anim.gif'));
    expect((await sharp(join(dir, 'anim.gif')).metadata()).pages).toBe(2);
    const out = scratchDir();
    const run = await xai('compare', dir, ...onnx, '--methods', 'rise,grad-cam', '--n', '8', '--out', out, '--quiet');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr.match(/anim\.gif is animated \(2 frames\); using its first frame/g)).toHaveLength(1);
    expect(results(out).images).toHaveLength(1);
  });
});
