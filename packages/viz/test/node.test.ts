import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { overlay, toRgba, type Curve } from '../src/index.js';
import {
  decodeImage,
  readImage,
  writeCurves,
  writeFigure,
  writeMaskGrid,
  writeOverlay,
  writePng,
  writeReport,
} from '../src/node/index.js';
import { decodeWithSharp, rampMap, solidImage } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xai-viz-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pngSize = async (path: string) => {
  const meta = await sharp(path).metadata();
  return [meta.format, meta.width, meta.height];
};

describe('writing pictures', () => {
  it('writePng round-trips pixels and creates folders', async () => {
    const image = solidImage(5, 3, [1, 2, 3, 4]);
    const path = join(dir, 'a/b/pixels.png');
    await writePng(path, image);
    const back = await readImage(path);
    expect([back.width, back.height, back.channels]).toEqual([5, 3, 4]);
    expect(Array.from(back.data)).toEqual(Array.from(image.data));
  });

  it('writeOverlay writes exactly the overlay pixels', async () => {
    const image = solidImage(16, 12, [200, 100, 0]);
    const map = rampMap(4, 4);
    const path = join(dir, 'overlay.png');
    await writeOverlay(path, image, map, { colormap: 'inferno', alpha: 0.4 });
    const back = await decodeWithSharp(await readFile(path));
    expect(Buffer.from(back.data).equals(Buffer.from(overlay(image, map, { colormap: 'inferno', alpha: 0.4 }).data))).toBe(true);
  });

  it('writeFigure writes PNG or SVG by extension, and refuses other extensions', async () => {
    const image = solidImage(20, 10, [0, 0, 255]);
    const map = { ...rampMap(5, 5), classIndex: 2, method: 'rise' };
    await writeFigure(join(dir, 'fig.png'), image, map, { probability: 0.5 });
    expect(await pngSize(join(dir, 'fig.png'))).toEqual(['png', 772, 218]);
    await writeFigure(join(dir, 'fig2x.png'), image, map, { scale: 2 });
    expect(await pngSize(join(dir, 'fig2x.png'))).toEqual(['png', 1544, 436]);
    await writeFigure(join(dir, 'fig.svg'), image, map);
    expect((await readFile(join(dir, 'fig.svg'), 'utf8')).startsWith('<svg')).toBe(true);
    await expect(writeFigure(join(dir, 'fig.jpg'), image, map)).rejects.toThrow(
      `Cannot write ${join(dir, 'fig.jpg')}: pictures are written as .png or .svg, got ".jpg"`,
    );
  });

  it('writeCurves, writeMaskGrid and writeReport write their files', async () => {
    const curve: Curve = { scores: [0.1, 0.6, 0.9], auc: 0.55, kind: 'insertion', classIndex: 0 };
    await writeCurves(join(dir, 'curves.png'), [curve, { ...curve, kind: 'deletion', scores: [0.9, 0.2, 0.1], auc: 0.35 }]);
    expect(await pngSize(join(dir, 'curves.png'))).toEqual(['png', 440, 340]);
    const masks = { data: new Float32Array(3 * 4 * 4).fill(0.5), count: 3, height: 4, width: 4 };
    await writeMaskGrid(join(dir, 'masks.png'), masks, solidImage(8, 8, [255, 0, 0]), { tileSize: 32 });
    expect((await pngSize(join(dir, 'masks.png')))[0]).toBe('png');
    await writeReport(join(dir, 'r/report.html'), { title: 'T', rows: [] });
    expect(await readFile(join(dir, 'r/report.html'), 'utf8')).toContain('<title>T</title>');
  });
});

describe('readImage', () => {
  const rgb = solidImage(6, 4, [250, 10, 20]);
  const raw = () => sharp(rgb.data, { raw: { width: 6, height: 4, channels: 3 } });

  it('decodes PNG, JPEG, WebP, GIF and TIFF', async () => {
    const files: Record<string, Buffer> = {
      'x.png': await raw().png().toBuffer(),
      'x.jpg': await raw().jpeg({ quality: 100 }).toBuffer(),
      'x.webp': await raw().webp({ lossless: true }).toBuffer(),
      'x.gif': await raw().gif().toBuffer(),
      'x.tiff': await raw().tiff().toBuffer(),
    };
    for (const [name, bytes] of Object.entries(files)) {
      await writeFile(join(dir, name), bytes);
      const image = await readImage(join(dir, name));
      expect([name, image.width, image.height]).toEqual([name, 6, 4]);
      const [r, g, b] = toRgba(image).data;
      expect(Math.abs(r - 250) + Math.abs(g - 10) + Math.abs(b - 20), name).toBeLessThan(30);
    }
  });

  it('takes only the first frame of a multi-page TIFF', async () => {
    const tall = solidImage(6, 8, [0, 0, 0]);
    tall.data.fill(255, 0, 6 * 4 * 3); // page 1 white, page 2 black
    const path = join(dir, 'pages.tiff');
    await sharp(tall.data, { raw: { width: 6, height: 8, channels: 3, pageHeight: 4 } as never }).tiff().toFile(path);
    const image = await readImage(path);
    expect([image.width, image.height, image.data[0]]).toEqual([6, 4, 255]);
  });

  it('refuses images with more pixels than the limit, naming the file and the accepted formats', async () => {
    const path = join(dir, 'big.png');
    await sharp({ create: { width: 300, height: 300, channels: 3, background: 'white' } }).png().toFile(path);
    await expect(readImage(path, { pixelLimit: 10_000 })).rejects.toThrow(
      `Cannot decode ${path}: it has more pixels than the limit; accepted formats: JPEG, PNG, WebP, GIF, TIFF`,
    );
    expect((await readImage(path, { pixelLimit: 90_000 })).width).toBe(300);
  });

  it('refuses a corrupt or missing file, naming it', async () => {
    const path = join(dir, 'broken.jpg');
    await writeFile(path, Buffer.from('this is not a jpeg'));
    await expect(readImage(path)).rejects.toThrow(new RegExp(`^Cannot decode ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: it is not a readable image .*accepted formats: JPEG, PNG, WebP, GIF, TIFF`));
    const truncated = (await raw().png().toBuffer()).subarray(0, 40);
    await expect(decodeImage(new Uint8Array(truncated), 'upload.png')).rejects.toThrow(/^Cannot decode upload\.png/);
    await expect(readImage(join(dir, 'nope.png'))).rejects.toThrow(`Image not found: ${join(dir, 'nope.png')}`);
  });
});
