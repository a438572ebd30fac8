import { XaiError } from './errors.js';

/**
 * How an image is resized to the model:
 * - `bilinear`: half-pixel bilinear without antialiasing on the float pixels (tf.image.resize,
 *   what Keras pipelines do; PyTorch `interpolate(mode='bilinear', align_corners=False)`);
 * - `pil-bilinear`, `pil-bicubic`, `pil-nearest`: Pillow's `Image.resize` on the 8-bit pixels
 *   (antialiased when shrinking), what torchvision's `Resize` feeds a model.
 */
export const RESIZE_MODES = ['bilinear', 'pil-bilinear', 'pil-bicubic', 'pil-nearest'] as const;
export type ResizeMode = (typeof RESIZE_MODES)[number];

export function isResizeMode(value: string): value is ResizeMode {
  return (RESIZE_MODES as readonly string[]).includes(value);
}

export function checkResizeMode(value: string): ResizeMode {
  if (!isResizeMode(value)) throw new XaiError(`Unknown resize mode "${value}"; accepted: ${RESIZE_MODES.join(', ')}`);
  return value;
}

export interface Size {
  width: number;
  height: number;
}

/** A window of an image; parts outside it are zero padding (torchvision's CenterCrop of a small image). */
export interface CropBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

export type GeometryStep =
  | { kind: 'resize'; from: Size; to: Size; mode: ResizeMode; why: 'shorter side' | 'model size' }
  | { kind: 'crop'; from: Size; to: Size; box: CropBox };

/** What decides the geometry; the fields of `Preprocessing` that are about size. */
export interface GeometryOptions {
  resize?: ResizeMode;
  resizeShorter?: number;
  centerCrop?: number;
}

/** torchvision `Resize(n)`: the shorter side becomes n, the longer one n·long/short truncated. */
export function shorterSideSize(size: Size, n: number): Size {
  const { width: w, height: h } = size;
  const long = Math.trunc((n * Math.max(w, h)) / Math.min(w, h));
  return w <= h ? { width: n, height: long } : { width: long, height: n };
}

/**
 * torchvision `CenterCrop(n)`: offsets are `round((size − n) / 2)` with Python's round (half to
 * even); an image smaller than n is first padded with zeros, ⌊(n − size)/2⌋ before.
 */
export function centerCropBox(size: Size, n: number): CropBox {
  const offset = (have: number): number => {
    if (n > have) return -Math.floor((n - have) / 2);
    return roundHalfEven((have - n) / 2);
  };
  return { left: offset(size.width), top: offset(size.height), width: n, height: n };
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * The steps from an image of `size` to the model's `target`: the shorter side to N, a centre crop,
 * then a resize to the model size when the result is not that size already.
 */
export function planGeometry(size: Size, target: Size, options: GeometryOptions): GeometryStep[] {
  const mode = options.resize ?? 'bilinear';
  const steps: GeometryStep[] = [];
  let at = size;
  if (options.resizeShorter !== undefined) {
    const to = shorterSideSize(at, options.resizeShorter);
    if (to.width !== at.width || to.height !== at.height) steps.push({ kind: 'resize', from: at, to, mode, why: 'shorter side' });
    at = to;
  }
  if (options.centerCrop !== undefined) {
    const box = centerCropBox(at, options.centerCrop);
    const to = { width: box.width, height: box.height };
    if (box.left !== 0 || box.top !== 0 || to.width !== at.width || to.height !== at.height) steps.push({ kind: 'crop', from: at, to, box });
    at = to;
  }
  if (at.width !== target.width || at.height !== target.height) steps.push({ kind: 'resize', from: at, to: target, mode, why: 'model size' });
  return steps;
}

/** One line per step, for reports: "resize 451×300 → 384×256 (shorter side, pil-bilinear)". */
export function describeGeometry(steps: readonly GeometryStep[]): string[] {
  const dims = (s: Size): string => `${s.width}×${s.height}`;
  return steps.map((step) =>
    step.kind === 'resize'
      ? `resize ${dims(step.from)} → ${dims(step.to)} (${step.why}, ${step.mode})`
      : `centre crop ${dims(step.from)} → ${dims(step.to)} at (${step.box.left}, ${step.box.top})`,
  );
}

/** Checks the size fields of preprocessing options: whole numbers ≥ 1 and a known mode. */
export function checkGeometryOptions(options: GeometryOptions): void {
  if (options.resize !== undefined) checkResizeMode(options.resize);
  for (const [name, value] of [['resizeShorter', options.resizeShorter], ['centerCrop', options.centerCrop]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw new XaiError(`Preprocessing ${name} must be a whole number ≥ 1, got ${String(value)}`);
    }
  }
}
