import { dataUri } from '../png/data-uri.js';
import { encodePng } from '../png/encode.js';
import { resizeRgba } from '../resize.js';
import type { RgbaImage } from '../types.js';
import { element } from './markup.js';

/**
 * Pixels as an SVG `<image>` drawn at `width × height`. Pixels larger than that are shrunk first
 * (smaller files); smaller ones are embedded as they are and enlarged by the renderer, pixelated
 * (as matplotlib shows a small map), so each model-input pixel stays visible.
 */
export async function embeddedImage(
  pixels: RgbaImage,
  x: number,
  y: number,
  width: number,
  height: number,
  extra: { stretch?: boolean } = {},
): Promise<string> {
  const fitted =
    pixels.width > Math.ceil(width) || pixels.height > Math.ceil(height)
      ? resizeRgba(pixels, Math.max(1, Math.round(height)), Math.max(1, Math.round(width)))
      : pixels;
  return element('image', {
    x,
    y,
    width,
    height,
    preserveAspectRatio: extra.stretch ? 'none' : undefined,
    'image-rendering': 'pixelated',
    style: 'image-rendering:pixelated',
    href: dataUri(await encodePng(fitted), 'image/png'),
  });
}
