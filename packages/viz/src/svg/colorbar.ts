import { colormapStrip } from '../colorize.js';
import { formatTick } from '../labels.js';
import type { ValueRange } from '../normalize.js';
import { embeddedImage } from './embed.js';
import { element, text } from './markup.js';

export const COLORBAR_WIDTH = 14;
/** Room the tick labels take to the right of the bar. */
export const COLORBAR_LABELS = 62;

/**
 * A vertical colour bar, high values at the top, with `ticks` evenly spaced ticks from end to end
 * (default 5: the ends and three between; a symmetric range takes 3: −m, 0, m).
 */
export async function colorbar(colormapName: string, range: ValueRange, x: number, y: number, height: number, ticksWanted = 5): Promise<string> {
  const [low, high] = range;
  const bar = await embeddedImage(colormapStrip(colormapName), x, y, COLORBAR_WIDTH, height, { stretch: true });
  const parts = [bar, element('rect', { x, y, width: COLORBAR_WIDTH, height, fill: 'none', stroke: '#333', 'stroke-width': 0.8 })];
  const ticks = high > low ? Math.max(2, ticksWanted) : 1;
  for (let i = 0; i < ticks; i++) {
    const fraction = ticks === 1 ? 1 : i / (ticks - 1);
    const ty = y + height - fraction * height;
    parts.push(element('line', { x1: x + COLORBAR_WIDTH, y1: ty, x2: x + COLORBAR_WIDTH + 4, y2: ty, stroke: '#333', 'stroke-width': 0.8 }));
    parts.push(text(x + COLORBAR_WIDTH + 7, ty + 4, formatTick(low + fraction * (high - low), high - low), { size: 11 }));
  }
  return parts.join('');
}
