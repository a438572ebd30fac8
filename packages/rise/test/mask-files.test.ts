import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { XaiError, formatNpy, parseNpy, type NpyArray } from '@xai/core';
import { binaryMasks, gaussianMasks, masksFromNpy, masksToNpy } from '../src/index.js';
import { readMasksFile, writeMasksFile } from '../src/node/index.js';
import { mean } from './helpers.js';

const directory = await mkdtemp(join(tmpdir(), 'xai-rise-masks-'));
afterAll(() => rm(directory, { recursive: true, force: true }));

function drawAll(source: ReturnType<typeof masksFromNpy>): Float32Array {
  return source.open().next(source.count);
}

describe('masks as .npy files', () => {
  it('writes generated masks batch by batch as float32 N×1×H×W and reads them back unchanged', async () => {
    const source = gaussianMasks({ n: 23, s: 5, seed: 8, height: 12, width: 20 });
    const path = join(directory, 'nested', 'gauss.npy');
    await writeMasksFile(path, source, { batchSize: 5 });
    const written = parseNpy(new Uint8Array(await readFile(path)));
    expect(written.dtype).toBe('float32');
    expect(written.shape).toEqual([23, 1, 12, 20]);
    expect(Array.from(written.data as Float32Array)).toEqual(Array.from(masksToNpy(source).data as Float32Array));
    // The header is what NumPy itself writes for this array.
    expect(Buffer.from(await readFile(path)).equals(Buffer.from(formatNpy(written)))).toBe(true);

    const loaded = await readMasksFile(path, { kind: 'gaussian' });
    expect([loaded.kind, loaded.count, loaded.height, loaded.width]).toEqual(['gaussian', 23, 12, 20]);
    expect(loaded.params.file).toBe(path);
    const stream = loaded.open();
    const first = stream.next(20);
    const rest = stream.next(3);
    expect(Array.from(first).concat(Array.from(rest))).toEqual(Array.from(written.data as Float32Array));
    const generated = source.open();
    generated.next(23);
    expect(stream.normalizingMean()).toBeCloseTo(generated.normalizingMean(), 12);
  });

  it('normalises loaded binary masks by the given p1, or else by their mean', () => {
    const array = masksToNpy(binaryMasks({ n: 30, s: 4, p1: 0.3, seed: 1, height: 8, width: 8 }));
    const withP1 = masksFromNpy(array, { p1: 0.3 }).open();
    withP1.next(30);
    expect(withP1.normalizingMean()).toBe(0.3);
    const measured = masksFromNpy(array).open();
    expect(measured.normalizingMean()).toBeCloseTo(mean(array.data as Float32Array), 12);
  });

  it('accepts N×H×W and float64 masks', () => {
    const values = Float64Array.from({ length: 2 * 3 * 4 }, (_, i) => i / 24);
    const source = masksFromNpy({ dtype: 'float64', shape: [2, 3, 4], data: values });
    expect([source.count, source.height, source.width]).toEqual([2, 3, 4]);
    expect(Array.from(drawAll(source))).toEqual(Array.from(Float32Array.from(values)));
  });

  it.each<[NpyArray, RegExp]>([
    [{ dtype: 'int32', shape: [2, 4, 4], data: new Int32Array(32) }, /masks of dtype int32 are not supported; accepted: float32 or float64/],
    [{ dtype: 'float32', shape: [2, 3, 4, 4], data: new Float32Array(96) }, /masks of shape \(2, 3, 4, 4\) are not supported; accepted: .*N×1×H×W or N×H×W/],
    [{ dtype: 'float32', shape: [16], data: new Float32Array(16) }, /shape \(16\)/],
    [{ dtype: 'float32', shape: [0, 4, 4], data: new Float32Array(0) }, /shape \(0, 4, 4\)/],
  ])('rejects unsupported arrays (%#)', (array, message) => {
    expect(() => masksFromNpy(array, { name: 'masks.npy' })).toThrow(XaiError);
    expect(() => masksFromNpy(array, { name: 'masks.npy' })).toThrow(message);
  });

  it('rejects p1 with Gaussian masks, a bad p1 and an unknown kind', () => {
    const array: NpyArray = { dtype: 'float32', shape: [1, 2, 2], data: new Float32Array(4) };
    expect(() => masksFromNpy(array, { kind: 'gaussian', p1: 0.5 })).toThrow(/p1 applies to binary masks only/);
    expect(() => masksFromNpy(array, { p1: 2 })).toThrow(/p1 must be a number in \(0, 1\], got 2/);
    expect(() => masksFromNpy(array, { kind: 'square' as 'binary' })).toThrow(/unknown mask kind 'square'; accepted: binary, gaussian/);
  });

  it('names a missing file', async () => {
    await expect(readMasksFile(join(directory, 'missing.npy'))).rejects.toThrow(/not found: .*missing\.npy/);
  });
});
