import { VizError } from '../errors.js';
import type { Rgb } from '../types.js';
import type { Channel } from './channel.js';
import { coolwarm } from './diverging.js';
import { jet } from './jet.js';
import { inferno, turbo, viridis } from './perceptual.js';

const grey: readonly Channel[] = [(t) => t, (t) => t, (t) => t];

const CHANNELS = { jet, viridis, turbo, inferno, grey, coolwarm } satisfies Record<string, readonly Channel[]>;

export type ColormapName = keyof typeof CHANNELS;

/** The accepted names; `jet` (the reference notebooks' choice) is the default everywhere. */
export const COLORMAP_NAMES = Object.keys(CHANNELS) as ColormapName[];

export const DEFAULT_COLORMAP: ColormapName = 'jet';

/** The diverging map for signed values (attributions), centred on 0: negative blue, positive red. */
export const DEFAULT_DIVERGING_COLORMAP: ColormapName = 'coolwarm';

/** A colour map: t ∈ [0, 1] (clamped; NaN counts as 0) → an 8-bit `[r, g, b]`. */
export type Colormap = (t: number) => Rgb;

export function isColormapName(name: string): name is ColormapName {
  return Object.hasOwn(CHANNELS, name);
}

export function colormap(name: string = DEFAULT_COLORMAP): Colormap {
  if (!isColormapName(name)) {
    throw new VizError(`Unknown colour map "${name}"; accepted: ${COLORMAP_NAMES.join(', ')}`);
  }
  const [r, g, b] = CHANNELS[name];
  return (t) => {
    const x = t > 0 ? (t < 1 ? t : 1) : 0;
    return [to8bit(r(x)), to8bit(g(x)), to8bit(b(x))];
  };
}

function to8bit(value: number): number {
  return Math.round(Math.min(1, Math.max(0, value)) * 255);
}
