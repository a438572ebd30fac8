import { describe, expect, it } from 'vitest';
import { maskGrid, maskGridSvg, maskGridTiles, VizError, type MaskStack } from '../src/index.js';
import { dataUris, solidImage } from './helpers.js';

/** Mask i is the constant i / (n − 1). */
function constantMasks(count: number, height = 4, width = 4): MaskStack {
  const data = new Float32Array(count * height * width);
  for (let i = 0; i < count; i++) data.fill(count === 1 ? 1 : i / (count - 1), i * height * width, (i + 1) * height * width);
  return { data, count, height, width };
}

describe('mask grid', () => {
  it('shows each mask in grey and the image multiplied by it', () => {
    const layout = maskGridTiles(constantMasks(3), solidImage(8, 8, [200, 100, 50]), { tileSize: 8 });
    expect(layout.tiles.map((t) => [t.mask.data[0], Array.from(t.masked!.data.subarray(0, 4))])).toEqual([
      [0, [0, 0, 0, 255]],
      [128, [100, 50, 25, 255]],
      [255, [200, 100, 50, 255]],
    ]);
  });

  it('lays out the first `count` masks, `columns` per row, mask above masked image', () => {
    const masks = constantMasks(20);
    const grid = maskGrid(masks, solidImage(16, 8, [255, 255, 255]), { count: 6, columns: 4, tileSize: 16 });
    // Tiles are 16×8; 4 columns with 12 px between blocks; 2 rows of (8 + 4 + 8) with 12 between.
    expect([grid.width, grid.height]).toEqual([4 * 16 + 3 * 12, 2 * 20 + 12]);
    const pixel = (x: number, y: number) => grid.data[(y * grid.width + x) * 4];
    expect(pixel(0, 0)).toBe(0); // mask 0 is all zeros
    expect(pixel(28, 0)).toBe(Math.round((1 / 19) * 255)); // mask 1
    expect(pixel(0, 12)).toBe(0); // masked by mask 0
    expect(pixel(17, 0)).toBe(255); // the white gap
    expect(pixel(0, 32)).toBe(Math.round((4 / 19) * 255)); // second row: mask 4
  });

  it('takes N×1×H×W masks of another size than the image and resizes them', () => {
    const masks: MaskStack = { data: new Float32Array([0, 1, 0, 1]), count: 1, height: 2, width: 2 };
    const layout = maskGridTiles(masks, solidImage(4, 4, [100, 100, 100]), { tileSize: 4 });
    expect([0, 1, 2, 3].map((x) => layout.tiles[0].masked!.data[4 * x])).toEqual([0, 25, 75, 100]);
  });

  it('writes a titled SVG with a label and two pictures per mask', async () => {
    const svg = await maskGridSvg(constantMasks(10), solidImage(8, 8, [1, 2, 3]), { count: 5 });
    expect(svg).toContain('>RISE masks (showing 5 of 10)</text>');
    for (let i = 0; i < 5; i++) expect(svg).toContain(`>mask ${i}</text>`);
    expect(svg).not.toContain('>mask 5</text>');
    expect(dataUris(svg)).toHaveLength(10);
  });

  it('refuses masks whose size does not match their data', () => {
    const bad = { data: new Float32Array(10), count: 2, height: 2, width: 2 };
    expect(() => maskGrid(bad, solidImage(2, 2, [0, 0, 0]))).toThrow(VizError);
    expect(() => maskGrid(bad, solidImage(2, 2, [0, 0, 0]))).toThrow('Expected 8 values for 2 masks of 2×2, got 10');
  });
});

describe('mask grid without an image', () => {
  it('shows only the masks, at the masks\' aspect ratio', async () => {
    const masks = constantMasks(3, 2, 4);
    const grid = maskGrid(masks, undefined, { tileSize: 8, columns: 3 });
    expect([grid.width, grid.height]).toEqual([3 * 8 + 2 * 12, 4]);
    expect(grid.data[(2 * 20) * 4]).toBe(255); // mask 2 is all ones
    const svg = await maskGridSvg(masks, undefined, { title: 'preview' });
    expect(dataUris(svg)).toHaveLength(3);
    expect(svg).toContain('>preview</text>');
  });
});
