import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, readImage } from '../src/node/image.js';
import { deprocess, geometryInWords, nonDefaultGeometry, preprocess, preprocessingPreset, resolvePreprocessing } from '../src/preprocess.js';
import { useBackend } from './helpers.js';

const spec = { height: 2, width: 2, channels: 3, layout: 'NHWC' as const };

describe('preprocess', () => {
  beforeAll(() => useBackend('cpu'));

  it('applies scale, offset, mean and std per channel', async () => {
    const image = { data: Uint8Array.from([0, 255, 51, 255, 0, 102, 128, 128, 128, 10, 20, 30]), width: 2, height: 2, channels: 3 as const };
    const before = tf.memory().numTensors;
    const x = preprocess(image, spec, preprocessingPreset('imagenet'));
    const values = await x.data();
    expect(x.shape).toEqual([1, 2, 2, 3]);
    expect(values[0]).toBeCloseTo((0 - 0.485) / 0.229, 5);
    expect(values[1]).toBeCloseTo((1 - 0.456) / 0.224, 5);
    expect(values[2]).toBeCloseTo((0.2 - 0.406) / 0.225, 5);
    const symmetric = preprocess(image, spec, preprocessingPreset('[-1,1]'));
    const s = await symmetric.data();
    [-1, 1, 51 / 127.5 - 1].forEach((v, i) => expect(s[i]).toBeCloseTo(v, 6));
    tf.dispose([x, symmetric]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('repeats grey for RGB models, drops alpha, and resizes bilinearly with half-pixel centres', async () => {
    const before = tf.memory().numTensors;
    const data = async (x: tf.Tensor) => {
      const values = await x.data();
      x.dispose();
      return values;
    };
    const grey = { data: Uint8Array.from([0, 100, 200, 50]), width: 2, height: 2, channels: 1 as const };
    const g = await data(preprocess(grey, spec, preprocessingPreset('raw')));
    expect(Array.from(g)).toEqual([0, 0, 0, 100, 100, 100, 200, 200, 200, 50, 50, 50]);
    const rgba = { data: Uint8Array.from([1, 2, 3, 255, 4, 5, 6, 0]), width: 2, height: 1, channels: 4 as const };
    const r = await data(preprocess(rgba, { ...spec, height: 1 }, preprocessingPreset('raw')));
    expect(Array.from(r)).toEqual([1, 2, 3, 4, 5, 6]);
    // 1×2 → 1×4 with half-pixel centres samples at x = −0.25, 0.25, 0.75, 1.25 (clamped at the edges).
    const row = { data: Uint8Array.from([0, 0, 0, 100, 100, 100]), width: 2, height: 1, channels: 3 as const };
    const up = await data(preprocess(row, { ...spec, height: 1, width: 4 }, preprocessingPreset('raw')));
    expect(Array.from(up.filter((_, i) => i % 3 === 0))).toEqual([0, 25, 75, 100]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('inverts with deprocess', async () => {
    const image = { data: Uint8Array.from([9, 200, 31, 0, 255, 77, 128, 1, 254, 33, 66, 99]), width: 2, height: 2, channels: 3 as const };
    const x = preprocess(image, spec, preprocessingPreset('imagenet'));
    const back = await deprocess(x, preprocessingPreset('imagenet'));
    expect(Array.from(back.data)).toEqual(Array.from(image.data));
    x.dispose();
  });

  it('refuses unknown presets and malformed images, saying what is accepted', () => {
    expect(() => preprocessingPreset('caffe')).toThrow(/Unknown preprocessing preset "caffe"; accepted: imagenet, unit, symmetric, raw/);
    expect(resolvePreprocessing({ mean: [0.5, 0.5, 0.5] }).std).toEqual([1, 1, 1]);
    expect(() => preprocess({ data: new Uint8Array(5), width: 2, height: 2, channels: 3 }, spec, preprocessingPreset('unit'))).toThrow(
      /Image data has 5 values but 2×2×3 needs 12/,
    );
  });
});

describe('readImage', () => {
  it('decodes PNG, JPEG and WebP files to RGB pixels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xai-img-'));
    const raw = Buffer.from(Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 7) % 256));
    const source = sharp(raw, { raw: { width: 4, height: 3, channels: 3 } });
    writeFileSync(join(dir, 'a.png'), await source.clone().png().toBuffer());
    writeFileSync(join(dir, 'a.jpg'), await source.clone().jpeg({ quality: 100 }).toBuffer());
    writeFileSync(join(dir, 'a.webp'), await source.clone().webp({ lossless: true }).toBuffer());
    const png = await readImage(join(dir, 'a.png'));
    expect(png).toMatchObject({ width: 4, height: 3, channels: 3 });
    expect(Buffer.from(png.data)).toEqual(raw);
    expect(Buffer.from((await readImage(join(dir, 'a.webp'))).data)).toEqual(raw);
    expect((await readImage(join(dir, 'a.jpg'))).width).toBe(4);
  });

  it('names a corrupt or missing file and the accepted formats', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xai-img-'));
    writeFileSync(join(dir, 'broken.png'), Buffer.from('\x89PNG\r\n\x1a\nthis is not really a png'));
    await expect(readImage(join(dir, 'broken.png'))).rejects.toThrow(/Cannot decode .*broken\.png: it is not a readable image .*accepted formats: JPEG, PNG, WebP, GIF, TIFF/);
    await expect(readImage(join(dir, 'absent.jpg'))).rejects.toThrow(/Image not found: .*absent\.jpg/);
  });

  it('refuses images above the pixel limit', async () => {
    const big = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#808080' } }).png().toBuffer();
    await expect(decodeImage(big, 'bomb.png', { pixelLimit: 10_000 })).rejects.toThrow(/bomb\.png: it has more pixels than the limit/);
  });
});

describe('the geometry of a preprocessing, for keys and words', () => {
  it('keeps only what is not the default, and says it in order', () => {
    expect(nonDefaultGeometry(preprocessingPreset('imagenet'))).toEqual({});
    expect(nonDefaultGeometry({ ...preprocessingPreset('imagenet'), resize: 'bilinear' })).toEqual({});
    expect(nonDefaultGeometry(preprocessingPreset('torchvision'))).toEqual({ resize: 'pil-bilinear', resizeShorter: 256, centerCrop: 224 });
    expect(geometryInWords(preprocessingPreset('torchvision'))).toBe('shorter side 256, centre crop 224, resize pil-bilinear');
    expect(geometryInWords(preprocessingPreset('unit'))).toBe('resize bilinear');
  });
});
