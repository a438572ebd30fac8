import * as tf from '@tensorflow/tfjs-core';
import type { InputSpec } from './classifier.js';
import { XaiError } from './errors.js';
import { checkGeometryOptions, describeGeometry, planGeometry, type CropBox, type GeometryOptions, type GeometryStep, type ResizeMode } from './geometry.js';
import { pilResize } from './resample.js';

/** Decoded pixels, row-major, interleaved channels (1 = grey, 3 = RGB, 4 = RGBA), values 0–255. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/**
 * How raw pixels become model input: the geometry (optionally the shorter side resized to
 * `resizeShorter`, then a `centerCrop`, then a resize to the model size, all with `resize`), then
 * `x = (p · scale + offset − mean) / std` per channel.
 */
export interface Preprocessing extends GeometryOptions {
  scale: number;
  offset: number;
  mean: readonly number[];
  std: readonly number[];
  /** Default `bilinear` (tf.image.resize without antialiasing). */
  resize?: ResizeMode;
}

export const PREPROCESSING_PRESETS = {
  /** torchvision's ImageNet normalisation. */
  imagenet: { scale: 1 / 255, offset: 0, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  /** Pixels scaled to [0, 1]. */
  unit: { scale: 1 / 255, offset: 0, mean: [0, 0, 0], std: [1, 1, 1] },
  /** Pixels scaled to [−1, 1] (MobileNet/Inception style). */
  symmetric: { scale: 1 / 127.5, offset: -1, mean: [0, 0, 0], std: [1, 1, 1] },
  /** Raw 0–255 values. */
  raw: { scale: 1, offset: 0, mean: [0, 0, 0], std: [1, 1, 1] },
  /**
   * torchvision's ImageNet evaluation: `Resize(256)` (Pillow bilinear), `CenterCrop(224)`,
   * `ToTensor`, `Normalize` with ImageNet mean/std.
   */
  torchvision: {
    scale: 1 / 255,
    offset: 0,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    resize: 'pil-bilinear',
    resizeShorter: 256,
    centerCrop: 224,
  },
} as const satisfies Record<string, Preprocessing>;

export type PreprocessingPreset = keyof typeof PREPROCESSING_PRESETS;

const PRESET_ALIASES: Record<string, PreprocessingPreset> = {
  '[0,1]': 'unit',
  '[-1,1]': 'symmetric',
  '[0,255]': 'raw',
};

export function preprocessingPreset(name: string): Preprocessing {
  const key = (PRESET_ALIASES[name] ?? name) as PreprocessingPreset;
  const preset = PREPROCESSING_PRESETS[key];
  if (!preset) {
    const accepted = [...Object.keys(PREPROCESSING_PRESETS), ...Object.keys(PRESET_ALIASES)];
    throw new XaiError(`Unknown preprocessing preset "${name}"; accepted: ${accepted.join(', ')}`);
  }
  return { ...preset, mean: [...preset.mean], std: [...preset.std] };
}

/**
 * Resolves a preset name or a partial object. A partial object's missing fields come from `base`
 * (a model's stored preprocessing), else from the `unit` preset.
 */
export function resolvePreprocessing(
  value: string | Partial<Preprocessing> | undefined,
  base?: string | Partial<Preprocessing>,
): Preprocessing {
  if (typeof value === 'string') return preprocessingPreset(value);
  const under = base === undefined ? preprocessingPreset('unit') : resolvePreprocessing(base);
  if (value === undefined) return under;
  const defined = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
  const merged = { ...under, ...defined } as Preprocessing;
  checkGeometryOptions(merged);
  return merged;
}

/** The geometry `pre` sets where it is not the default (plain bilinear to the model's size): what run keys record. */
export function nonDefaultGeometry(pre: Preprocessing): Pick<Preprocessing, 'resize' | 'resizeShorter' | 'centerCrop'> {
  return {
    ...(pre.resize && pre.resize !== 'bilinear' ? { resize: pre.resize } : {}),
    ...(pre.resizeShorter !== undefined ? { resizeShorter: pre.resizeShorter } : {}),
    ...(pre.centerCrop !== undefined ? { centerCrop: pre.centerCrop } : {}),
  };
}

/** The geometry of `pre` in words, for one line of a page or report: `shorter side 256, centre crop 224, resize pil-bilinear`. */
export function geometryInWords(pre: Preprocessing): string {
  return [
    pre.resizeShorter !== undefined ? `shorter side ${pre.resizeShorter}` : '',
    pre.centerCrop !== undefined ? `centre crop ${pre.centerCrop}` : '',
    `resize ${pre.resize ?? 'bilinear'}`,
  ].filter(Boolean).join(', ');
}

/** What a report says was applied to an image of `size`: the options and one line per step. */
export function describePreprocessing(pre: Preprocessing, size: { width: number; height: number }, input: InputSpec) {
  const steps = describeGeometry(planGeometry(size, input, pre));
  const { scale, offset, mean, std } = pre;
  const normalise = `x = (p · ${+scale.toPrecision(6)} + ${offset} − mean) / std, mean [${mean.join(', ')}], std [${std.join(', ')}]`;
  return {
    resize: pre.resize ?? 'bilinear',
    resizeShorter: pre.resizeShorter ?? null,
    centerCrop: pre.centerCrop ?? null,
    scale,
    offset,
    mean: [...mean],
    std: [...std],
    steps: [...steps, normalise],
  };
}

/**
 * Pixels → a preprocessed NHWC tensor `[1, H, W, C]` for the model.
 *
 * The geometry follows `pre` (see `planGeometry`). With `bilinear` every resize is half-pixel
 * bilinear without antialiasing on the scaled float pixels (tfjs `resizeBilinear` with
 * `halfPixelCenters: true`, identical to PyTorch `interpolate(mode='bilinear',
 * align_corners=False)`); with a `pil-*` mode the 8-bit pixels are resized and cropped exactly
 * as torchvision does with Pillow, then scaled. Alpha is dropped; grey is repeated for RGB
 * models; RGB becomes grey (ITU-R 601 luma) for one-channel models.
 */
export function preprocess(image: RawImage, input: InputSpec, pre: Preprocessing): tf.Tensor4D {
  checkImage(image);
  const steps = planGeometry(image, input, pre);
  const pil = isPil(pre);
  const source = pil ? applyBytes(colourBytes(image), steps, pre) : image;
  return tf.tidy(() => {
    const pixels = tf.tensor3d(Float32Array.from(source.data), [source.height, source.width, source.channels]);
    const matched = matchChannels(pixels, input.channels);
    const scaled = tf.add(tf.mul(matched, pre.scale), pre.offset) as tf.Tensor3D;
    const shaped = pil ? scaled : applyFloats(scaled, steps, pre.offset);
    const mean = channelVector(pre.mean, input.channels, 'mean');
    const std = channelVector(pre.std, input.channels, 'std');
    return tf.expandDims(tf.div(tf.sub(shaped, mean), std), 0) as tf.Tensor4D;
  });
}

/**
 * The 8-bit pixels the model sees, at model size (alpha dropped), for figures and overlays: the
 * exact bytes with a `pil-*` mode, the rounded float resize with `bilinear`.
 */
export async function modelPixels(image: RawImage, input: InputSpec, pre: Preprocessing): Promise<RawImage> {
  checkImage(image);
  const colour = colourBytes(image);
  const steps = planGeometry(image, input, pre);
  if (isPil(pre)) return applyBytes(colour, steps, pre);
  if (steps.length === 0) return colour;
  const out = tf.tidy(() => {
    const pixels = tf.tensor3d(Float32Array.from(colour.data), [colour.height, colour.width, colour.channels]);
    return tf.cast(tf.clipByValue(tf.round(applyFloats(pixels, steps, 0)), 0, 255), 'int32');
  });
  const data = Uint8Array.from(await out.data());
  out.dispose();
  return { data, width: input.width, height: input.height, channels: colour.channels };
}

function isPil(pre: Preprocessing): boolean {
  return (pre.resize ?? 'bilinear').startsWith('pil-');
}

/** The colour channels of an image as bytes (grey+alpha → grey, RGBA → RGB). */
function colourBytes(image: RawImage): RawImage {
  const keep = image.channels === 2 ? 1 : image.channels === 4 ? 3 : image.channels;
  if (keep === image.channels) return { ...image, data: Uint8Array.from(image.data) };
  const pixels = image.width * image.height;
  const data = new Uint8Array(pixels * keep);
  for (let i = 0; i < pixels; i++) for (let c = 0; c < keep; c++) data[i * keep + c] = image.data[i * image.channels + c];
  return { data, width: image.width, height: image.height, channels: keep as RawImage['channels'] };
}

function applyBytes(image: RawImage, steps: readonly GeometryStep[], pre: Preprocessing): RawImage {
  const filter = (pre.resize ?? 'pil-bilinear').replace('pil-', '') as 'bilinear' | 'bicubic' | 'nearest';
  return steps.reduce((at, step) => (step.kind === 'resize' ? pilResize(at, step.to.width, step.to.height, filter) : cropBytes(at, step.box)), image);
}

function cropBytes(image: RawImage, box: CropBox): RawImage {
  const { channels } = image;
  const data = new Uint8Array(box.width * box.height * channels);
  for (let y = 0; y < box.height; y++) {
    const sy = y + box.top;
    if (sy < 0 || sy >= image.height) continue;
    for (let x = 0; x < box.width; x++) {
      const sx = x + box.left;
      if (sx < 0 || sx >= image.width) continue;
      for (let c = 0; c < channels; c++) data[(y * box.width + x) * channels + c] = image.data[(sy * image.width + sx) * channels + c];
    }
  }
  return { data, width: box.width, height: box.height, channels };
}

/** The geometry on float pixels (`bilinear`); crops pad with `fill` (the value a 0 pixel became). */
function applyFloats(pixels: tf.Tensor3D, steps: readonly GeometryStep[], fill: number): tf.Tensor3D {
  return steps.reduce((at, step) => {
    if (step.kind === 'resize') return tf.image.resizeBilinear(at, [step.to.height, step.to.width], false, true);
    const { box, from } = step;
    const pad = (before: number, size: number, have: number): [number, number] => [Math.max(-before, 0), Math.max(before + size - have, 0)];
    const padded = tf.pad(at, [pad(box.top, box.height, from.height), pad(box.left, box.width, from.width), [0, 0]], fill);
    return tf.slice(padded, [Math.max(box.top, 0), Math.max(box.left, 0), 0], [box.height, box.width, -1]);
  }, pixels);
}

/** A preprocessed NHWC tensor back to displayable pixels (inverse of `preprocess`, without resizing). */
export async function deprocess(input: tf.Tensor4D, pre: Preprocessing): Promise<RawImage> {
  const [, height, width, channels] = input.shape;
  const pixels = tf.tidy(() => {
    const mean = channelVector(pre.mean, channels, 'mean');
    const std = channelVector(pre.std, channels, 'std');
    const raw = tf.div(tf.sub(tf.add(tf.mul(tf.squeeze(input, [0]), std), mean), pre.offset), pre.scale);
    return tf.clipByValue(tf.round(raw), 0, 255);
  });
  const data = Uint8Array.from(await pixels.data());
  pixels.dispose();
  return { data, width, height, channels: channels as RawImage['channels'] };
}

function checkImage(image: RawImage): void {
  const { width, height, channels, data } = image;
  if (!(width > 0 && height > 0) || ![1, 2, 3, 4].includes(channels)) {
    throw new XaiError(
      `Unsupported image: ${width}×${height} with ${channels} channels; accepted: positive sizes with 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA) channels`,
    );
  }
  if (data.length !== width * height * channels) {
    throw new XaiError(
      `Image data has ${data.length} values but ${width}×${height}×${channels} needs ${width * height * channels}`,
    );
  }
}

function matchChannels(pixels: tf.Tensor3D, wanted: number): tf.Tensor3D {
  const have = pixels.shape[2];
  const colour = tf.slice(pixels, [0, 0, 0], [-1, -1, have === 1 || have === 2 ? 1 : 3]);
  const colourChannels = colour.shape[2];
  if (wanted === colourChannels) return colour;
  if (wanted === 3 && colourChannels === 1) return tf.tile(colour, [1, 1, 3]);
  if (wanted === 1 && colourChannels === 3) {
    return tf.sum(tf.mul(colour, tf.tensor1d([0.299, 0.587, 0.114])), 2, true) as tf.Tensor3D;
  }
  throw new XaiError(`The model takes ${wanted}-channel input; images can be converted to 1 or 3 channels only`);
}

function channelVector(values: readonly number[], channels: number, what: string): tf.Tensor1D {
  if (values.length === channels) return tf.tensor1d(values as number[]);
  if (values.length === 1) return tf.fill([channels], values[0]) as tf.Tensor1D;
  if (values.length === 3 && channels === 1) return tf.tensor1d([values.reduce((a, b) => a + b, 0) / 3]);
  throw new XaiError(`Preprocessing ${what} has ${values.length} values; the model has ${channels} channels`);
}
