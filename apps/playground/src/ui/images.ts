import { XaiError, type RawImage } from '@xai/core';
import type { RgbaImage } from '@xai/viz';

/** Decodes an image file or fetched blob into RGBA pixels; anything undecodable is an XaiError. */
export async function decodeImage(blob: Blob, name: string): Promise<RawImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    throw new XaiError(`"${name}" is not an image the browser can decode; use a PNG, JPEG, GIF, WebP or BMP file`);
  }
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    if (!context) throw new XaiError('This browser cannot draw images into a canvas');
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return { data, width: bitmap.width, height: bitmap.height, channels: 4 };
  } finally {
    bitmap.close();
  }
}

/** Draws RGBA pixels into a canvas, resizing the canvas to them. */
export function drawRgba(canvas: HTMLCanvasElement, image: RgbaImage): void {
  canvas.width = image.width;
  canvas.height = image.height;
  const pixels = new Uint8ClampedArray(image.data);
  canvas.getContext('2d')!.putImageData(new ImageData(pixels, image.width, image.height), 0, 0);
}
