import type { RawImage, SaliencyMap } from '@xai/core';
import { colorize, colormapStrip, toRgba } from '@xai/viz';
import { drawableRange, formatValue } from '../logic/scales.js';
import type { PredictResult } from '../protocol.js';
import { drawRgba } from './images.js';

const BAR_AREA = 46;

function canvasOf(pixels: { data: Uint8ClampedArray | Uint8Array; width: number; height: number }): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  drawRgba(canvas, { data: Uint8ClampedArray.from(pixels.data), width: pixels.width, height: pixels.height });
  return canvas;
}

export interface ExportOptions {
  alpha: number;
  colormap: string;
  range: readonly [number, number];
  title: string;
}

/**
 * The overlay at the image's own resolution and aspect: the part of the image the model saw (all
 * of it, or the centre crop), the map stretched over it, and a colour bar with its end values.
 */
export async function fullResolutionPng(image: RawImage, window: PredictResult['window'], map: SaliencyMap, options: ExportOptions): Promise<Uint8Array> {
  const width = Math.max(1, Math.round(window.width));
  const height = Math.max(1, Math.round(window.height));
  const out = document.createElement('canvas');
  out.width = width;
  out.height = height + BAR_AREA;
  const context = out.getContext('2d')!;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, out.width, out.height);
  context.drawImage(canvasOf(toRgba(image)), window.left, window.top, window.width, window.height, 0, 0, width, height);
  const range = drawableRange(options.range);
  context.globalAlpha = options.alpha;
  context.imageSmoothingEnabled = true;
  context.drawImage(canvasOf(colorize(map, { colormap: options.colormap, range })), 0, 0, width, height);
  context.globalAlpha = 1;
  const barLeft = 8;
  const barWidth = Math.max(16, width - 16);
  context.imageSmoothingEnabled = true;
  context.drawImage(canvasOf(colormapStrip(options.colormap, 256, false)), barLeft, height + 6, barWidth, 12);
  context.fillStyle = '#1d2430';
  context.font = '12px DejaVu Sans, sans-serif';
  context.textBaseline = 'top';
  context.textAlign = 'left';
  context.fillText(formatValue(options.range[0]), barLeft, height + 22);
  context.textAlign = 'right';
  context.fillText(formatValue(options.range[1]), barLeft + barWidth, height + 22);
  context.textAlign = 'center';
  context.fillText(options.title, width / 2, height + 22, Math.max(16, barWidth - 120));
  const blob = await new Promise<Blob>((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('The browser could not encode the PNG'))), 'image/png'));
  return new Uint8Array(await blob.arrayBuffer());
}
