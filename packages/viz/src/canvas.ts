import type { RgbaImage } from './types.js';

/**
 * What `drawRgba` needs of a 2D context: the DOM's `CanvasRenderingContext2D`, an
 * `OffscreenCanvasRenderingContext2D` or node-canvas all fit. Declared here so that the types
 * need no DOM library.
 */
export interface PixelContext<Pixels extends { data: Uint8ClampedArray }> {
  createImageData(width: number, height: number): Pixels;
  putImageData(pixels: Pixels, x: number, y: number): void;
}

/** Draws RGBA pixels on a 2D canvas at (x, y). */
export function drawRgba<Pixels extends { data: Uint8ClampedArray }>(context: PixelContext<Pixels>, image: RgbaImage, x = 0, y = 0): void {
  const pixels = context.createImageData(image.width, image.height);
  pixels.data.set(image.data);
  context.putImageData(pixels, x, y);
}
