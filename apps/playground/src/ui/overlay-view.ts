import type { RawImage, SaliencyMap } from '@xai/core';
import { colorize, COLORMAP_NAMES, DEFAULT_COLORMAP, DEFAULT_DIVERGING_COLORMAP, overlay } from '@xai/viz';
import { drawableRange, mapRange, signedAttribution } from '../logic/scales.js';
import { colourBar } from './colour-bar.js';
import { byId, element } from './dom.js';
import { drawRgba } from './images.js';

export interface OverlayStyle {
  alpha: number;
  colormap: string;
  /** One colour scale for every map of a grid (the comparison, every class's map). */
  shared: boolean;
}

/** The main overlay, and the opacity, colour-map and scale controls every overlay on the page follows. */
export class OverlayView {
  private image?: RawImage;
  private map?: SaliencyMap;
  private readonly listeners: (() => void)[] = [];

  constructor() {
    byId('colormap').replaceChildren(
      ...COLORMAP_NAMES.map((name) => {
        const option = element('option', { value: name }, [name]);
        option.selected = name === DEFAULT_COLORMAP;
        return option;
      }),
    );
    for (const id of ['opacity', 'colormap', 'shared-scale']) byId(id).addEventListener('input', () => this.restyle());
  }

  get style(): OverlayStyle {
    return {
      alpha: Number(byId<HTMLInputElement>('opacity').value),
      colormap: byId<HTMLSelectElement>('colormap').value,
      shared: byId<HTMLInputElement>('shared-scale').checked,
    };
  }

  /** Called whenever the style changes, so other views redraw too. */
  onStyleChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The main map over the image, its colour bar, and for attributions the signed map beside it. */
  show(image: RawImage, map: SaliencyMap): void {
    this.image = image;
    this.map = map;
    this.draw();
  }

  /**
   * Draws a map over the image into a canvas, between `range` (default the map's own min and
   * max), and returns the colour bar for that range.
   */
  paint(canvas: HTMLCanvasElement, image: RawImage, map: SaliencyMap, range?: readonly [number, number], note?: string): HTMLElement {
    const drawn = range ?? mapRange(map);
    const { alpha, colormap } = this.style;
    drawRgba(canvas, overlay(image, map, { alpha, colormap, range: drawableRange(drawn) }));
    return colourBar(drawn, colormap, note);
  }

  private draw(): void {
    if (!this.image || !this.map) return;
    const bar = this.paint(byId<HTMLCanvasElement>('overlay'), this.image, this.map, undefined, this.map.attribution ? '|attribution|' : undefined);
    byId('overlay-bar').replaceChildren(bar);
    const signed = signedAttribution(this.map);
    byId('signed-figure').hidden = !signed;
    if (!signed) return;
    const range = drawableRange(signed.range);
    drawRgba(byId<HTMLCanvasElement>('signed'), colorize(signed, { colormap: DEFAULT_DIVERGING_COLORMAP, range }));
    byId('signed-bar').replaceChildren(colourBar(signed.range, DEFAULT_DIVERGING_COLORMAP, '0 in the middle'));
  }

  private restyle(): void {
    this.draw();
    for (const listener of this.listeners) listener();
  }
}
