import { colormap, DEFAULT_COLORMAP } from './colormaps/index.js';
import { checkGrid } from './validate.js';
import { normalize, type ValueRange } from './normalize.js';
import type { Grid, RgbaImage } from './types.js';

export interface ColorizeOptions {
  /** A colour map name (default `jet`). */
  colormap?: string;
  /** Fixed values for the two ends of the colour map; default the map's own min and max. */
  range?: ValueRange;
}

/** A saliency map (or any grid of values) painted with a colour map, as opaque RGBA pixels. */
export function colorize(map: Grid, options: ColorizeOptions = {}): RgbaImage {
  checkGrid(map, 'saliency map');
  const paint = colormap(options.colormap ?? DEFAULT_COLORMAP);
  const t = normalize(map.data, options.range);
  const data = new Uint8ClampedArray(t.length * 4);
  for (let i = 0; i < t.length; i++) {
    const [r, g, b] = paint(t[i]);
    data[4 * i] = r;
    data[4 * i + 1] = g;
    data[4 * i + 2] = b;
    data[4 * i + 3] = 255;
  }
  return { data, width: map.width, height: map.height };
}

/** A horizontal or vertical strip of a colour map's colours (the colour bar's picture). */
export function colormapStrip(name: string = DEFAULT_COLORMAP, length = 256, vertical = true): RgbaImage {
  const paint = colormap(name);
  const data = new Uint8ClampedArray(length * 4);
  for (let i = 0; i < length; i++) {
    // A vertical bar has its high end at the top.
    const t = length === 1 ? 0 : (vertical ? length - 1 - i : i) / (length - 1);
    data.set([...paint(t), 255], 4 * i);
  }
  return vertical ? { data, width: 1, height: length } : { data, width: length, height: 1 };
}
