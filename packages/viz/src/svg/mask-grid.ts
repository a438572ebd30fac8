import { maskGridTiles, type MaskGridOptions, type MaskStack } from '../masks.js';
import type { RawImage } from '../types.js';
import { embeddedImage } from './embed.js';
import { svgDocument, text } from './markup.js';

export interface MaskGridSvgOptions extends MaskGridOptions {
  /** Default: `RISE masks (showing 8 of N)`. */
  title?: string;
}

const PAD = 14;
const TITLE = 30;
const LABEL = 18;
const GAP = 4;
const BLOCK_GAP = 14;

/**
 * A titled grid of masks (grey), each above the image multiplied by it when an image is given
 * (without one, e.g. to preview generated masks, only the masks), as an SVG string.
 */
export async function maskGridSvg(masks: MaskStack, image?: RawImage, options: MaskGridSvgOptions = {}): Promise<string> {
  const layout = maskGridTiles(masks, image, options);
  const { tileWidth: tw, tileHeight: th, columns, rows } = layout;
  const blockHeight = LABEL + (image ? 2 * th + GAP : th);
  const width = 2 * PAD + columns * tw + (columns - 1) * BLOCK_GAP;
  const height = TITLE + PAD + rows * blockHeight + (rows - 1) * BLOCK_GAP + PAD;
  const title = options.title ?? `RISE masks (showing ${layout.tiles.length} of ${masks.count})`;
  const parts = [text(width / 2, 22, title, { size: 15, anchor: 'middle', maxWidth: width - 2 * PAD })];
  for (const tile of layout.tiles) {
    const x = PAD + (tile.index % columns) * (tw + BLOCK_GAP);
    const y = TITLE + PAD + Math.floor(tile.index / columns) * (blockHeight + BLOCK_GAP);
    parts.push(text(x + tw / 2, y + LABEL - 5, `mask ${tile.index}`, { size: 11, anchor: 'middle' }));
    parts.push(await embeddedImage(tile.mask, x, y + LABEL, tw, th));
    if (tile.masked) parts.push(await embeddedImage(tile.masked, x, y + LABEL + th + GAP, tw, th));
  }
  return svgDocument(width, height, parts.join(''), title);
}
