import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { centerCropBox, planGeometry, shorterSideSize } from '../src/geometry.js';
import { parseNpy } from '../src/npy.js';
import { decodeImage } from '../src/node/image.js';
import { modelPixels, preprocess, preprocessingPreset, resolvePreprocessing, type RawImage } from '../src/preprocess.js';
import { pilResize, type PilFilter } from '../src/resample.js';
import { useBackend } from './helpers.js';

// Made by fixtures/pillow/make_pillow_fixtures.py with Debian's Pillow and torchvision.
const dir = new URL('./fixtures/pillow/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('cases.json', dir), 'utf8')) as {
  cases: ({ file: string; source: string } & ({ kind: 'resize'; width: number; height: number; filter: PilFilter } | { kind: 'torchvision'; shorter: number; crop: number }))[];
};

function npyImage(file: string): RawImage {
  const array = parseNpy(new Uint8Array(readFileSync(new URL(file, dir))), file);
  const [height, width, channels = 1] = array.shape;
  return { data: array.data as Uint8Array, width, height, channels: channels as RawImage['channels'] };
}

const photo = await decodeImage(new Uint8Array(readFileSync(new URL('../../testing/fixtures/tiny-chelsea/image.png', import.meta.url))), 'image.png');
const sources: Record<string, RawImage> = { rgb: npyImage('source_rgb.npy'), grey: npyImage('source_grey.npy'), photo };

function differingBytes(a: RawImage, b: RawImage): number {
  expect([a.width, a.height, a.channels]).toEqual([b.width, b.height, b.channels]);
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) n++;
  return n;
}

describe("Pillow's resampling", () => {
  beforeAll(() => useBackend('cpu'));

  for (const c of manifest.cases.filter((c) => c.kind === 'resize')) {
    const s = sources[c.source];
    it(`${c.filter}: ${c.source} ${s.width}×${s.height} → ${c.width}×${c.height} equals Pillow byte for byte`, () => {
      expect(differingBytes(pilResize(s, c.width, c.height, c.filter), npyImage(c.file))).toBe(0);
    });
  }

  for (const c of manifest.cases.filter((c) => c.kind === 'torchvision')) {
    it(`torchvision Resize(${c.shorter}) + CenterCrop(${c.crop}) of ${c.source} equals torchvision byte for byte`, async () => {
      const s = sources[c.source];
      const input = { width: c.crop, height: c.crop, channels: s.channels === 1 ? 1 : 3, layout: 'NHWC' as const };
      const before = tf.memory().numTensors;
      const pixels = await modelPixels(s, input, { ...preprocessingPreset('raw'), resize: 'pil-bilinear', resizeShorter: c.shorter, centerCrop: c.crop });
      expect(differingBytes(pixels, npyImage(c.file))).toBe(0);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('shrinking averages (antialiasing) while plain bilinear samples two pixels', async () => {
    // Stripes 0/255 one pixel wide, halved: away from the edges Pillow's triangle of support 2
    // weighs the stripes ¼ ¾ ¾ ¼, the mean 127.5 (127 or 128 after rounding).
    const stripes: RawImage = { data: Uint8Array.from({ length: 8 }, (_, i) => (i % 2 ? 255 : 0)), width: 8, height: 1, channels: 1 };
    const half = pilResize(stripes, 4, 1, 'bilinear');
    for (const v of half.data.slice(1, 3)) expect(Math.abs(v - 127.5)).toBeLessThanOrEqual(0.5);
    const plain = await modelPixels(stripes, { width: 4, height: 1, channels: 1, layout: 'NHWC' }, preprocessingPreset('raw'));
    expect([...plain.data].every((v) => v === 128)).toBe(true); // half-pixel centres fall between two stripes
  });
});

describe('torchvision geometry', () => {
  it("Resize(n) sets the shorter side and truncates the longer", () => {
    expect(shorterSideSize({ width: 451, height: 300 }, 256)).toEqual({ width: 384, height: 256 });
    expect(shorterSideSize({ width: 300, height: 451 }, 40)).toEqual({ width: 40, height: 60 });
  });

  it("CenterCrop rounds half offsets to even (Python's round) and pads a small image", () => {
    expect(centerCropBox({ width: 60, height: 40 }, 35)).toMatchObject({ left: 12, top: 2 });
    expect(centerCropBox({ width: 61, height: 39 }, 35)).toMatchObject({ left: 13, top: 2 });
    expect(centerCropBox({ width: 20, height: 30 }, 23)).toMatchObject({ left: -1, top: 4 });
  });

  it('the torchvision preset: shorter side 256, crop 224, then the model size', () => {
    const steps = planGeometry({ width: 451, height: 300 }, { width: 64, height: 64 }, preprocessingPreset('torchvision'));
    expect(steps.map((s) => [s.kind, s.to.width, s.to.height])).toEqual([['resize', 384, 256], ['crop', 224, 224], ['resize', 64, 64]]);
  });

  it('refuses an unknown resize mode and a crop that is not a whole number', () => {
    expect(() => resolvePreprocessing({ resize: 'lanczos' as never })).toThrow(/Unknown resize mode "lanczos"; accepted: bilinear, pil-bilinear, pil-bicubic, pil-nearest/);
    expect(() => resolvePreprocessing({ centerCrop: 2.5 })).toThrow(/centerCrop must be a whole number ≥ 1, got 2.5/);
  });

  it('a partial object overlays the base preprocessing', () => {
    expect(resolvePreprocessing({ resize: 'pil-bicubic' }, 'imagenet')).toMatchObject({ mean: [0.485, 0.456, 0.406], resize: 'pil-bicubic' });
  });

  it('preprocess with a pil mode normalises the resized bytes', async () => {
    await useBackend('cpu');
    const s = sources.rgb;
    const input = { width: 11, height: 7, channels: 3, layout: 'NHWC' as const };
    const before = tf.memory().numTensors;
    const x = preprocess(s, input, { ...preprocessingPreset('imagenet'), resize: 'pil-bicubic' });
    const values = await x.data();
    x.dispose();
    const ref = npyImage('rgb_11x7_bicubic.npy').data;
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    for (let i = 0; i < ref.length; i++) expect(values[i]).toBeCloseTo((ref[i] / 255 - mean[i % 3]) / std[i % 3], 5);
    expect(tf.memory().numTensors).toBe(before);
  });
});
