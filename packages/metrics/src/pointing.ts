import { XaiError, type SaliencyMap } from '@xai/core';
import { checkMapSize } from './validate.js';

/** Ground truth for localisation: row-major `height × width`, non-zero (or true) inside the object. */
export interface ObjectMask {
  data: ArrayLike<number | boolean>;
  height: number;
  width: number;
}

export interface PointingOptions {
  /** A peak within this many pixels (Euclidean) of the object still counts as a hit. Default 0. */
  tolerance?: number;
}

export interface PointingResult {
  hit: boolean;
  /** The map's maximum (the first in row-major order when several pixels share it). */
  peak: { x: number; y: number };
  tolerance: number;
}

/** An object mask from a bounding box in pixels (`x`, `y` of the top-left corner; clipped to the image). */
export function boxMask(
  height: number,
  width: number,
  box: { x: number; y: number; width: number; height: number },
): ObjectMask {
  const data = new Uint8Array(height * width);
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(width, Math.ceil(box.x + box.width));
  const y1 = Math.min(height, Math.ceil(box.y + box.height));
  for (let y = y0; y < y1; y++) data.fill(1, y * width + x0, Math.max(y * width + x0, y * width + x1));
  return { data, height, width };
}

/** The pointing game: a hit when the map's maximum lies in the object (within `tolerance` pixels). */
export function pointingGame(map: SaliencyMap, mask: ObjectMask, options: PointingOptions = {}): PointingResult {
  checkPair(map, mask);
  const tolerance = options.tolerance ?? 0;
  if (!(tolerance >= 0) || !Number.isFinite(tolerance)) {
    throw new XaiError(`tolerance must be a number of pixels ≥ 0, got ${tolerance}`);
  }
  const peakIndex = argMax(map.data);
  const peak = { x: peakIndex % map.width, y: Math.floor(peakIndex / map.width) };
  return { hit: objectWithin(mask, peak, tolerance), peak, tolerance };
}

/**
 * The energy-based pointing game (Score-CAM): the share of the map's positive saliency that lies
 * inside the object, in [0, 1]. A map with no positive value scores 0.
 */
export function energyPointingGame(map: SaliencyMap, mask: ObjectMask): number {
  checkPair(map, mask);
  let inside = 0;
  let total = 0;
  for (let i = 0; i < map.data.length; i++) {
    const v = map.data[i];
    if (!(v > 0)) continue;
    total += v;
    if (mask.data[i]) inside += v;
  }
  return total > 0 ? inside / total : 0;
}

export interface LocalisationItem {
  map: SaliencyMap;
  mask: ObjectMask;
  id?: string;
}

export interface LocalisationResult {
  count: number;
  tolerance: number;
  /** Share of hits in the pointing game. */
  pointingAccuracy: number;
  /** Mean energy-based pointing score. */
  meanEnergy: number;
  perImage: { id?: string; hit: boolean; peak: { x: number; y: number }; energy: number }[];
}

/** Both pointing games over a data set; plain JSON. */
export function evaluateLocalisation(items: readonly LocalisationItem[], options: PointingOptions = {}): LocalisationResult {
  if (items.length === 0) throw new XaiError('The data set is empty; evaluateLocalisation needs at least one map and mask');
  const perImage = items.map(({ map, mask, id }) => {
    const { hit, peak } = pointingGame(map, mask, options);
    return { ...(id === undefined ? {} : { id }), hit, peak, energy: energyPointingGame(map, mask) };
  });
  return {
    count: items.length,
    tolerance: options.tolerance ?? 0,
    pointingAccuracy: perImage.filter((r) => r.hit).length / items.length,
    meanEnergy: perImage.reduce((sum, r) => sum + r.energy, 0) / items.length,
    perImage,
  };
}

function checkPair(map: SaliencyMap, mask: ObjectMask): void {
  if (mask.data.length !== mask.height * mask.width) {
    throw new XaiError(
      `The object mask claims ${mask.height}×${mask.width} but holds ${mask.data.length} values; it needs ${mask.height * mask.width}`,
    );
  }
  checkMapSize(map, mask, 'the object mask');
}

function argMax(values: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isNaN(values[i]) && (best < 0 || values[i] > values[best])) best = i;
  }
  return best;
}

function objectWithin(mask: ObjectMask, peak: { x: number; y: number }, tolerance: number): boolean {
  const reach = Math.floor(tolerance);
  for (let y = Math.max(0, peak.y - reach); y <= Math.min(mask.height - 1, peak.y + reach); y++) {
    for (let x = Math.max(0, peak.x - reach); x <= Math.min(mask.width - 1, peak.x + reach); x++) {
      const close = (x - peak.x) ** 2 + (y - peak.y) ** 2 <= tolerance * tolerance;
      if (close && mask.data[y * mask.width + x]) return true;
    }
  }
  return false;
}
