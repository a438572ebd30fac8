import { colorize } from '../colorize.js';
import { VizError } from '../errors.js';
import { toRgba } from '../image.js';
import type { Grid, RawImage } from '../types.js';
import { checkGrid } from '../validate.js';
import { embeddedImage } from './embed.js';
import { svgDocument, text } from './markup.js';

/** One map of a row, titled (a layer name) and optionally captioned (its numbers). */
export interface MapPanel {
  title: string;
  map: Grid;
  caption?: string;
}

export interface MapRowOptions {
  /** Above the row. */
  title?: string;
  /** Shown first, titled `imageTitle` (default `input`). */
  image?: RawImage;
  imageTitle?: string;
  /** Colour map of every map (default `grey`, as Adebayo et al. show maps). */
  colormap?: string;
  /** Each panel's longer side in pixels (default 112). */
  panelSize?: number;
  /** Panels per row before wrapping (default 10). */
  columns?: number;
}

const PAD = 14;
const HEADING = 30;
const LABEL = 18;
const CAPTION = 16;
const GAP = 8;
const ROW_GAP = 12;

/**
 * Maps side by side, each painted with the colour map over its own range, a title above and a
 * caption below each: the sanity checks' figure (the map of the trained model, then one per
 * randomisation step, as in Adebayo et al. 2018), wrapping after `columns` panels. An SVG string.
 */
export async function mapRowSvg(panels: readonly MapPanel[], options: MapRowOptions = {}): Promise<string> {
  if (panels.length === 0) throw new VizError('A row of maps needs at least one map');
  panels.forEach((p, i) => checkGrid(p.map, `map ${i + 1} ("${p.title}")`));
  const columns = options.columns ?? 10;
  if (!Number.isInteger(columns) || columns < 1) throw new VizError(`columns must be a whole number ≥ 1, got ${columns}`);
  const side = options.panelSize ?? 112;
  const first = options.image ?? panels[0].map;
  const scale = side / Math.max(first.width, first.height);
  const w = first.width * scale;
  const h = first.height * scale;
  const tiles = [
    ...(options.image ? [{ title: options.imageTitle ?? 'input', pixels: toRgba(options.image), caption: undefined as string | undefined }] : []),
    ...panels.map((p) => ({ title: p.title, pixels: colorize(p.map, { colormap: options.colormap ?? 'grey' }), caption: p.caption })),
  ];
  const perRow = Math.min(columns, tiles.length);
  const rows = Math.ceil(tiles.length / perRow);
  const block = LABEL + h + CAPTION;
  const top = options.title ? HEADING : 0;
  const width = 2 * PAD + perRow * w + (perRow - 1) * GAP;
  const height = top + PAD + rows * block + (rows - 1) * ROW_GAP + PAD;
  const parts = options.title ? [text(width / 2, 22, options.title, { size: 15, anchor: 'middle', maxWidth: width - 2 * PAD })] : [];
  for (const [i, tile] of tiles.entries()) {
    const x = PAD + (i % perRow) * (w + GAP);
    const y = top + PAD + Math.floor(i / perRow) * (block + ROW_GAP);
    parts.push(text(x + w / 2, y + LABEL - 5, tile.title, { size: 11, anchor: 'middle', maxWidth: w + GAP - 2 }));
    parts.push(await embeddedImage(tile.pixels, x, y + LABEL, w, h));
    if (tile.caption) parts.push(text(x + w / 2, y + LABEL + h + CAPTION - 3, tile.caption, { size: 10, anchor: 'middle', maxWidth: w + GAP - 2, fill: '#444' }));
  }
  return svgDocument(width, height, parts.join(''), options.title ?? tiles.map((t) => t.title).join(' | '));
}
