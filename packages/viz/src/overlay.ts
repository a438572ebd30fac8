import { colormap, DEFAULT_COLORMAP } from './colormaps/index.js';
import { VizError } from './errors.js';
import { toRgba } from './image.js';
import { normalize, valueRange, type ValueRange } from './normalize.js';
import { resizeGrid } from './resize.js';
import { checkGrid } from './validate.js';
import type { Grid, RawImage, RgbaImage } from './types.js';

export interface OverlayOptions {
  /** A colour map name (default `jet`). */
  colormap?: string;
  /** Opacity of the heat map, 0 (image only) to 1 (heat map only); default 0.5. */
  alpha?: number;
  /** Fixed values for the two ends of the colour map; default the map's own min and max. */
  range?: ValueRange;
}

export const DEFAULT_ALPHA = 0.5;

/**
 * The heat map over the image: `out = (1 − α)·image + α·colour(map)`, per RGB channel, rounded.
 * The map is resized to the image bilinearly when the sizes differ; the image's alpha is kept.
 */
export function overlay(image: RawImage, map: Grid, options: OverlayOptions = {}): RgbaImage {
  checkGrid(map, 'saliency map');
  const alpha = options.alpha ?? DEFAULT_ALPHA;
  if (!(alpha >= 0 && alpha <= 1)) throw new VizError(`alpha must be between 0 and 1, got ${alpha}`);
  const paint = colormap(options.colormap ?? DEFAULT_COLORMAP);
  const out = toRgba(image);
  const values = resizeGrid(map, image.height, image.width);
  // Normalise after resizing: bilinear resizing never leaves the original min–max range.
  const t = normalize(values, options.range ?? rangeOf(map));
  for (let i = 0; i < t.length; i++) {
    const colour = paint(t[i]);
    for (let c = 0; c < 3; c++) {
      out.data[4 * i + c] = Math.round((1 - alpha) * out.data[4 * i + c] + alpha * colour[c]);
    }
  }
  return out;
}

/** The map's own range, or undefined (all zeros after normalising) when it is constant. */
function rangeOf(map: Grid): ValueRange | undefined {
  const [low, high] = valueRange(map.data);
  return high > low ? [low, high] : undefined;
}
