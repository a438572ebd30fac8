import { extname } from 'node:path';
import { writeFileAtomic } from '@xai/core/node';
import { VizError } from '../errors.js';
import { reportHtml, type ReportOptions } from '../html/report.js';
import { toRgba } from '../image.js';
import type { MaskStack } from '../masks.js';
import { overlay, type OverlayOptions } from '../overlay.js';
import { curvesSvg, type CurvesOptions, type CurveSeries } from '../svg/curves.js';
import { figureSvg, type FigureOptions, type MapLike } from '../svg/figure.js';
import { maskGridSvg, type MaskGridSvgOptions } from '../svg/mask-grid.js';
import { mapRowSvg, type MapPanel, type MapRowOptions } from '../svg/map-row.js';
import type { Grid, RawImage, RgbaImage } from '../types.js';
import { encodePngNode, svgToPng, type RasterOptions } from './png.js';

/** Writes a file whole or not at all, creating its folder. */
export async function writeBytes(path: string, content: Uint8Array | string): Promise<void> {
  await writeFileAtomic(path, content);
}

/** Writes pixels (RGBA, or any `RawImage`) as a PNG file. */
export async function writePng(path: string, image: RgbaImage | RawImage): Promise<void> {
  const rgba = 'channels' in image ? toRgba(image) : image;
  await writeBytes(path, await encodePngNode(rgba));
}

/** Writes the heat map over the image, at the image's size, as a PNG file. */
export async function writeOverlay(path: string, image: RawImage, map: Grid, options: OverlayOptions = {}): Promise<void> {
  await writePng(path, overlay(image, map, options));
}

/** Writes an SVG drawing as `.svg` as it is, or rendered to `.png`; the extension decides. */
export async function writeSvg(path: string, svg: string, options: RasterOptions = {}): Promise<void> {
  const extension = extname(path).toLowerCase();
  if (extension === '.svg') return writeBytes(path, svg);
  if (extension === '.png') return writeBytes(path, await svgToPng(svg, options));
  throw new VizError(`Cannot write ${path}: pictures are written as .png or .svg, got "${extension || 'no extension'}"`);
}

/** Writes the reference notebooks' figure (image | overlay with colour bar) as PNG or SVG. */
export async function writeFigure(path: string, image: RawImage, map: MapLike, options: FigureOptions & RasterOptions = {}): Promise<void> {
  await writeSvg(path, await figureSvg(image, map, options), options);
}

/** Writes Insertion/Deletion curves with their AUCs as PNG or SVG. */
export async function writeCurves(path: string, curves: CurveSeries | readonly CurveSeries[], options: CurvesOptions & RasterOptions = {}): Promise<void> {
  await writeSvg(path, curvesSvg(curves, options), options);
}

/** Writes a titled grid of RISE masks (and masked images, given an image) as PNG or SVG. */
export async function writeMaskGrid(path: string, masks: MaskStack, image: RawImage | undefined, options: MaskGridSvgOptions & RasterOptions = {}): Promise<void> {
  await writeSvg(path, await maskGridSvg(masks, image, options), options);
}

/** Writes maps side by side, titled and captioned (the sanity checks' figure), as PNG or SVG. */
export async function writeMapRow(path: string, panels: readonly MapPanel[], options: MapRowOptions & RasterOptions = {}): Promise<void> {
  await writeSvg(path, await mapRowSvg(panels, options), options);
}

/** Writes the self-contained HTML report. */
export async function writeReport(path: string, options: ReportOptions): Promise<void> {
  await writeBytes(path, await reportHtml(options));
}
