import { VizError } from './errors.js';
import { toRgba } from './image.js';
import { resizeGrid, resizeRgba } from './resize.js';
import { checkImage } from './validate.js';
import type { RawImage, RgbaImage } from './types.js';

/** N masks of H×W values in [0, 1], row-major one after another (RISE's `N×1×H×W` works as is). */
export interface MaskStack {
  data: Float32Array;
  count: number;
  height: number;
  width: number;
}

export interface MaskGridOptions {
  /** How many masks to show, the first ones (default 8, at most N). */
  count?: number;
  /** Masks per row (default 4). */
  columns?: number;
  /** The longer side of each tile in pixels (default 128). */
  tileSize?: number;
}

/** One mask shown two ways: as grey levels, and multiplied into the image (when there is one). */
export interface MaskTile {
  index: number;
  mask: RgbaImage;
  masked?: RgbaImage;
}

export interface MaskGridLayout {
  tiles: MaskTile[];
  columns: number;
  rows: number;
  tileWidth: number;
  tileHeight: number;
}

export function checkMasks(masks: MaskStack): void {
  const { count, height, width, data } = masks;
  if (![count, height, width].every((n) => Number.isInteger(n) && n > 0)) {
    throw new VizError(`Expected a positive whole count, height and width of masks, got ${count}×${height}×${width}`);
  }
  if (data.length !== count * height * width) {
    throw new VizError(`Expected ${count * height * width} values for ${count} masks of ${height}×${width}, got ${data.length}`);
  }
}

/**
 * The tiles of a mask grid: each mask (values 0–1 as black–white, clamped) and, given an image,
 * the image multiplied by it (the mask resized to the image bilinearly), both at the tile size.
 */
export function maskGridTiles(masks: MaskStack, image: RawImage | undefined, options: MaskGridOptions = {}): MaskGridLayout {
  checkMasks(masks);
  if (image) checkImage(image);
  const shown = Math.min(options.count ?? 8, masks.count);
  if (!(shown >= 1)) throw new VizError(`A mask grid shows at least 1 mask, got count ${options.count}`);
  const columns = Math.max(1, Math.min(options.columns ?? 4, shown));
  const side = options.tileSize ?? 128;
  const shape = image ?? masks;
  const scale = side / Math.max(shape.width, shape.height);
  const tileWidth = Math.max(1, Math.round(shape.width * scale));
  const tileHeight = Math.max(1, Math.round(shape.height * scale));
  const rgba = image && toRgba(image);
  const tiles: MaskTile[] = [];
  for (let index = 0; index < shown; index++) {
    const plane = masks.data.subarray(index * masks.height * masks.width, (index + 1) * masks.height * masks.width);
    const grid = { data: plane, height: masks.height, width: masks.width };
    const mask = greyImage(resizeGrid(grid, tileHeight, tileWidth), tileWidth, tileHeight);
    const masked = rgba && resizeRgba(multiply(rgba, resizeGrid(grid, rgba.height, rgba.width)), tileHeight, tileWidth);
    tiles.push({ index, mask, masked });
  }
  return { tiles, columns, rows: Math.ceil(shown / columns), tileWidth, tileHeight };
}

function greyImage(values: Float32Array, width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(Math.min(1, Math.max(0, values[i])) * 255);
    data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = v;
    data[4 * i + 3] = 255;
  }
  return { data, width, height };
}

function multiply(image: RgbaImage, mask: Float32Array): RgbaImage {
  const data = new Uint8ClampedArray(image.data);
  for (let i = 0; i < mask.length; i++) {
    const m = Math.min(1, Math.max(0, mask[i]));
    data[4 * i] = Math.round(data[4 * i] * m);
    data[4 * i + 1] = Math.round(data[4 * i + 1] * m);
    data[4 * i + 2] = Math.round(data[4 * i + 2] * m);
  }
  return { data, width: image.width, height: image.height };
}

const GAP = 4;
const BLOCK_GAP = 12;

/**
 * The grid as one picture (no text): each mask above its masked image (when an image is given),
 * `columns` per row, on white. Good for a canvas or a PNG; `maskGridSvg` adds titles.
 */
export function maskGrid(masks: MaskStack, image?: RawImage, options: MaskGridOptions = {}): RgbaImage {
  const layout = maskGridTiles(masks, image, options);
  const { tileWidth: tw, tileHeight: th } = layout;
  const blockHeight = image ? 2 * th + GAP : th;
  const width = layout.columns * tw + (layout.columns - 1) * BLOCK_GAP;
  const height = layout.rows * blockHeight + (layout.rows - 1) * BLOCK_GAP;
  const out = { data: new Uint8ClampedArray(width * height * 4).fill(255), width, height };
  for (const tile of layout.tiles) {
    const x = (tile.index % layout.columns) * (tw + BLOCK_GAP);
    const y = Math.floor(tile.index / layout.columns) * (blockHeight + BLOCK_GAP);
    paste(out, tile.mask, x, y);
    if (tile.masked) paste(out, tile.masked, x, y + th + GAP);
  }
  return out;
}

function paste(target: RgbaImage, source: RgbaImage, x: number, y: number): void {
  for (let row = 0; row < source.height; row++) {
    const from = row * source.width * 4;
    target.data.set(source.data.subarray(from, from + source.width * 4), ((y + row) * target.width + x) * 4);
  }
}
