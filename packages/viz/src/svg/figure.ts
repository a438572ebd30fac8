import { colorize } from '../colorize.js';
import { DEFAULT_COLORMAP, DEFAULT_DIVERGING_COLORMAP } from '../colormaps/index.js';
import { VizError } from '../errors.js';
import { toRgba } from '../image.js';
import { classLabel } from '../labels.js';
import { symmetricRange, valueRange } from '../normalize.js';
import { overlay, type OverlayOptions } from '../overlay.js';
import type { Grid, RawImage, SaliencyMap } from '../types.js';
import { checkGrid } from '../validate.js';
import { colorbar, COLORBAR_LABELS, COLORBAR_WIDTH } from './colorbar.js';
import { embeddedImage } from './embed.js';
import { svgDocument, text } from './markup.js';

/** A saliency map with whatever it knows about itself (a full `SaliencyMap` fits). */
export type MapLike = Grid & Partial<Pick<SaliencyMap, 'classIndex' | 'className' | 'method' | 'attribution'>>;

/** Signed values (e.g. an attribution's channel sum) for the figure's third panel. */
export interface SignedPanel extends Grid {
  /** The panel's title (default: `<overlay title>, signed`). */
  title?: string;
  /** A diverging colour map (default `coolwarm`), its middle at 0. */
  colormap?: string;
}

export interface FigureOptions extends OverlayOptions {
  /** The predicted probability of the map's class, shown in the image's title. */
  probability?: number;
  /** Replaces the left title (default: class name, index and probability). */
  imageTitle?: string;
  /** Replaces the right title (default: the method's name). */
  overlayTitle?: string;
  /** The longer side of each panel in pixels (default 320). */
  panelSize?: number;
  /**
   * A third panel of signed values in a diverging colour map centred on 0 (range ±max|v|, ticks at
   * −m, 0, m). Default: for a map with an `attribution`, its signed channel sum; `false` leaves it out.
   */
  signed?: SignedPanel | false;
}

const PAD = 16;
const GAP = 28;
const TITLE = 34;

/**
 * The reference notebooks' figure: on the left the image titled with the class and probability;
 * on the right the heat map over the image, titled with the method, with a colour bar; for pixel
 * attributions a third panel, the signed attribution (channel sum) in a diverging colour map
 * centred on 0. An SVG string with the pictures embedded as PNG data URIs.
 */
export async function figureSvg(image: RawImage, map: MapLike, options: FigureOptions = {}): Promise<string> {
  const colormapName = options.colormap ?? DEFAULT_COLORMAP;
  const blended = overlay(image, map, options); // validates image, map, alpha and colour map first
  const signed = options.signed === false ? undefined : (options.signed ?? signedSum(map));
  if (signed) checkGrid(signed, 'signed map');
  const side = options.panelSize ?? 320;
  const scale = side / Math.max(image.width, image.height);
  const w = image.width * scale;
  const h = image.height * scale;
  const left = PAD;
  const right = PAD + w + GAP;
  const top = TITLE + 8;
  const barX = right + w + 12;
  const third = barX + COLORBAR_WIDTH + COLORBAR_LABELS + GAP / 2;
  const thirdBarX = third + w + 12;
  const width = (signed ? thirdBarX : barX) + COLORBAR_WIDTH + COLORBAR_LABELS;
  const height = top + h + PAD;

  const imageTitle = options.imageTitle ?? (classLabel(map.classIndex, map.className, options.probability) || 'image');
  const overlayTitle = options.overlayTitle ?? map.method ?? 'saliency';
  const absTitle = signed ? `${overlayTitle}, |attribution|` : overlayTitle;
  const body = [
    text(left + w / 2, TITLE, imageTitle, { size: 16, anchor: 'middle', maxWidth: w + GAP - 6 }),
    text(right + w / 2, TITLE, absTitle, { size: 16, anchor: 'middle', maxWidth: w + GAP - 6 }),
    await embeddedImage(toRgba(image), left, top, w, h),
    await embeddedImage(blended, right, top, w, h),
    await colorbar(colormapName, options.range ?? valueRange(map.data), barX, top, h),
  ];
  if (signed) {
    const diverging = signed.colormap ?? DEFAULT_DIVERGING_COLORMAP;
    const range = symmetricRange(signed.data);
    const painted = colorize(signed, { colormap: diverging, range: range[1] > 0 ? range : [-1, 1] });
    const title = signed.title ?? `${overlayTitle}, signed`;
    body.push(
      text(third + w / 2, TITLE, title, { size: 16, anchor: 'middle', maxWidth: w + GAP - 6 }),
      await embeddedImage(painted, third, top, w, h),
      await colorbar(diverging, range, thirdBarX, top, h, 3),
    );
  }
  return svgDocument(width, height, body.join(''), [imageTitle, absTitle, ...(signed ? [signed.title ?? `${overlayTitle}, signed`] : [])].join(' | '));
}

/** The channel sum of a map's signed attribution (NHWC), as an H×W grid; undefined without one. */
function signedSum(map: MapLike): SignedPanel | undefined {
  if (!map.attribution) return undefined;
  const { data, channels } = map.attribution;
  const size = map.height * map.width;
  if (!(channels >= 1) || data.length !== size * channels) {
    throw new VizError(`An attribution of ${map.height}×${map.width}×${channels} needs ${size * channels} values, got ${data.length}`);
  }
  const sum = new Float32Array(size);
  for (let p = 0; p < size; p++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += data[p * channels + c];
    sum[p] = s;
  }
  return { data: sum, height: map.height, width: map.width };
}
