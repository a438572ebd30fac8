import { colormapStrip } from '@xai/viz';
import { formatValue } from '../logic/scales.js';
import { element } from './dom.js';
import { drawRgba } from './images.js';

/**
 * A horizontal colour bar labelled with the values at its two ends. `data-min` and `data-max`
 * hold the exact numbers (tests compare them with the map).
 */
export function colourBar(range: readonly [number, number], colormap: string, note?: string): HTMLElement {
  const [low, high] = range;
  const strip = element('canvas', { class: 'bar-strip', 'aria-hidden': 'true' });
  drawRgba(strip, colormapStrip(colormap, 128, false));
  const label = `colour scale from ${formatValue(low)} to ${formatValue(high)}${note ? ` (${note})` : ''}`;
  return element('div', { class: 'colour-bar', role: 'img', 'aria-label': label, 'data-min': String(low), 'data-max': String(high) }, [
    strip,
    element('span', { class: 'bar-min' }, [formatValue(low)]),
    element('span', { class: 'bar-note' }, [note ?? '']),
    element('span', { class: 'bar-max' }, [formatValue(high)]),
  ]);
}
