import * as tf from '@tensorflow/tfjs-core';
import type { InputSpec } from './classifier.js';
import { XaiError } from './errors.js';

/** Decoded pixels, row-major, interleaved channels (1 = grey, 3 = RGB, 4 = RGBA), values 0–255. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/**
 * How raw pixels become model input: `x = (p · scale + offset − mean) / std`, per channel,
 * after resizing to the model size.
 */
export interface Preprocessing {
  scale: number;
  offset: number;
  mean: readonly number[];
  std: readonly number[];
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

/** Resolves a preset name or a partial object (missing fields default to the `unit` preset). */
export function resolvePreprocessing(value: string | Partial<Preprocessing> | undefined): Preprocessing {
  if (value === undefined) return preprocessingPreset('unit');
  if (typeof value === 'string') return preprocessingPreset(value);
  return { ...preprocessingPreset('unit'), ...value };
}

/**
 * Pixels → a preprocessed NHWC tensor `[1, H, W, C]` for the model.
 *
 * Resizing is bilinear with half-pixel centres and no anti-aliasing (tfjs `resizeBilinear` with
 * `halfPixelCenters: true`, identical to PyTorch `interpolate(mode='bilinear',
 * align_corners=False)`), applied to the scaled pixels before mean/std. Alpha is dropped; grey is
 * repeated for RGB models; RGB becomes grey (ITU-R 601 luma) for one-channel models.
 */
export function preprocess(image: RawImage, input: InputSpec, pre: Preprocessing): tf.Tensor4D {
  checkImage(image);
  return tf.tidy(() => {
    const pixels = tf.tensor3d(Float32Array.from(image.data), [image.height, image.width, image.channels]);
    const matched = matchChannels(pixels, input.channels);
    const scaled = tf.add(tf.mul(matched, pre.scale), pre.offset) as tf.Tensor3D;
    const resized =
      image.height === input.height && image.width === input.width
        ? scaled
        : tf.image.resizeBilinear(scaled, [input.height, input.width], false, true);
    const mean = channelVector(pre.mean, input.channels, 'mean');
    const std = channelVector(pre.std, input.channels, 'std');
    return tf.expandDims(tf.div(tf.sub(resized, mean), std), 0) as tf.Tensor4D;
  });
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
