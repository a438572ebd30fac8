import { DEFAULT_COLORMAP } from '../colormaps/index.js';
import { toRgba } from '../image.js';
import { classLabel } from '../labels.js';
import { valueRange } from '../normalize.js';
import { overlay, type OverlayOptions } from '../overlay.js';
import type { Grid, RawImage, SaliencyMap } from '../types.js';
import { colorbar, COLORBAR_LABELS, COLORBAR_WIDTH } from './colorbar.js';
import { embeddedImage } from './embed.js';
import { svgDocument, text } from './markup.js';

/** A saliency map with whatever it knows about itself (a full `SaliencyMap` fits). */
export type MapLike = Grid & Partial<Pick<SaliencyMap, 'classIndex' | 'className' | 'method'>>;

export interface FigureOptions extends OverlayOptions {
  /** The predicted probability of the map's class, shown in the image's title. */
  probability?: number;
  /** Replaces the left title (default: class name, index and probability). */
  imageTitle?: string;
  /** Replaces the right title (default: the method's name). */
  overlayTitle?: string;
  /** The longer side of each panel in pixels (default 320). */
  panelSize?: number;
}

const PAD = 16;
const GAP = 28;
const TITLE = 34;

/**
 * The reference notebooks' figure: on the left the image titled with the class and probability;
 * on the right the heat map over the image, titled with the method, with a colour bar. An SVG
 * string with both pictures embedded as PNG data URIs.
 */
export async function figureSvg(image: RawImage, map: MapLike, options: FigureOptions = {}): Promise<string> {
  const colormapName = options.colormap ?? DEFAULT_COLORMAP;
  const blended = overlay(image, map, options); // validates image, map, alpha and colour map first
  const side = options.panelSize ?? 320;
  const scale = side / Math.max(image.width, image.height);
  const w = image.width * scale;
  const h = image.height * scale;
  const left = PAD;
  const right = PAD + w + GAP;
  const top = TITLE + 8;
  const barX = right + w + 12;
  const width = barX + COLORBAR_WIDTH + COLORBAR_LABELS;
  const height = top + h + PAD;

  const imageTitle = options.imageTitle ?? (classLabel(map.classIndex, map.className, options.probability) || 'image');
  const overlayTitle = options.overlayTitle ?? map.method ?? 'saliency';
  const body = [
    text(left + w / 2, TITLE, imageTitle, { size: 16, anchor: 'middle', maxWidth: w + GAP - 6 }),
    text(right + w / 2, TITLE, overlayTitle, { size: 16, anchor: 'middle', maxWidth: w + GAP - 6 }),
    await embeddedImage(toRgba(image), left, top, w, h),
    await embeddedImage(blended, right, top, w, h),
    await colorbar(colormapName, options.range ?? valueRange(map.data), barX, top, h),
  ];
  return svgDocument(width, height, body.join(''), `${imageTitle} | ${overlayTitle}`);
}
