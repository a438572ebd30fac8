import { VizError } from './errors.js';
import type { Grid, RawImage } from './types.js';

export function checkGrid(grid: Grid, what: string): void {
  checkSize(grid.width, grid.height, what);
  const expected = grid.width * grid.height;
  if (grid.data.length !== expected) {
    throw new VizError(`Expected ${expected} values for a ${grid.height}×${grid.width} ${what}, got ${grid.data.length}`);
  }
}

export function checkImage(image: RawImage, what = 'image'): void {
  checkSize(image.width, image.height, what);
  if (![1, 2, 3, 4].includes(image.channels)) {
    throw new VizError(`Expected 1, 2, 3 or 4 channels for the ${what}, got ${image.channels}`);
  }
  const expected = image.width * image.height * image.channels;
  if (image.data.length !== expected) {
    throw new VizError(
      `Expected ${expected} bytes for a ${image.height}×${image.width}×${image.channels} ${what}, got ${image.data.length}`,
    );
  }
}

function checkSize(width: number, height: number, what: string): void {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new VizError(`Expected a positive whole width and height for the ${what}, got ${width}×${height}`);
  }
}
