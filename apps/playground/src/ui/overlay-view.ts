import type { RawImage, SaliencyMap } from '@xai/core';
import { COLORMAP_NAMES, DEFAULT_COLORMAP, overlay } from '@xai/viz';
import { byId, element } from './dom.js';
import { drawRgba } from './images.js';

export interface OverlayStyle {
  alpha: number;
  colormap: string;
}

/** The main overlay, and the opacity and colour-map controls every overlay on the page follows. */
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
    for (const id of ['opacity', 'colormap']) byId(id).addEventListener('input', () => this.restyle());
  }

  get style(): OverlayStyle {
    return {
      alpha: Number(byId<HTMLInputElement>('opacity').value),
      colormap: byId<HTMLSelectElement>('colormap').value,
    };
  }

  /** Called whenever the style changes, so other views redraw too. */
  onStyleChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  show(image: RawImage, map: SaliencyMap): void {
    this.image = image;
    this.map = map;
    this.draw();
  }

  /** Draws any map over the image with the current style into a canvas. */
  paint(canvas: HTMLCanvasElement, image: RawImage, map: SaliencyMap): void {
    drawRgba(canvas, overlay(image, map, this.style));
  }

  private draw(): void {
    if (this.image && this.map) this.paint(byId<HTMLCanvasElement>('overlay'), this.image, this.map);
  }

  private restyle(): void {
    this.draw();
    for (const listener of this.listeners) listener();
  }
}
