import { checkImage } from './validate.js';
import type { RawImage, RgbaImage } from './types.js';

/** Any decoded image (grey, grey + alpha, RGB or RGBA) as RGBA pixels. */
export function toRgba(image: RawImage): RgbaImage {
  checkImage(image);
  const { width, height, channels, data: src } = image;
  if (channels === 4) return { data: new Uint8ClampedArray(src), width, height };
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0, s = 0; p < data.length; p += 4, s += channels) {
    if (channels >= 3) {
      data[p] = src[s];
      data[p + 1] = src[s + 1];
      data[p + 2] = src[s + 2];
    } else {
      data[p] = data[p + 1] = data[p + 2] = src[s];
    }
    data[p + 3] = channels === 2 ? src[s + 1] : 255;
  }
  return { data, width, height };
}
