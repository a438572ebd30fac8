import * as tf from '@tensorflow/tfjs-core';
import { XaiError, type ParamSpec, type Params } from '@xai/core';

/**
 * The reference input a path or an occlusion starts from: `zeros` (in the normalised space, the
 * data set's mean colour; Captum's default) or `blur`, the image under a Gaussian blur; or one the
 * user gives (`givenBaseline`).
 */
export const BASELINES = ['zeros', 'blur'] as const;
export type Baseline = (typeof BASELINES)[number];

export const BASELINE_PARAM: ParamSpec = {
  name: 'baseline',
  type: 'choice',
  default: 'zeros',
  choices: BASELINES,
  help: 'reference input: zeros (the mean colour after normalisation) or blur (the image blurred)',
};

export const BLUR_SIGMA_PARAM: ParamSpec = {
  name: 'blurSigma',
  type: 'number',
  default: 5,
  min: 0,
  exclusiveMin: true,
  max: 1000,
  help: 'standard deviation in pixels of the Gaussian of the blur baseline',
};

/**
 * `values` (NHWC `[H][W][C]`, one image) under a separable Gaussian of `sigma` pixels, truncated
 * at 3σ and normalised, with edges repeated (so borders do not darken). Float64 inside.
 */
export function gaussianBlur(values: ArrayLike<number>, height: number, width: number, channels: number, sigma: number): Float32Array {
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new XaiError(`blur: sigma must be a positive number, got ${sigma}`);
  if (values.length !== height * width * channels) {
    throw new XaiError(`blur: ${height}×${width}×${channels} needs ${height * width * channels} values, got ${values.length}`);
  }
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-0.5 * ((k - radius) / sigma) ** 2));
  const total = kernel.reduce((a, b) => a + b, 0);
  for (let k = 0; k < kernel.length; k++) kernel[k] /= total;
  const clamp = (i: number, n: number) => (i < 0 ? 0 : i >= n ? n - 1 : i);
  const rows = new Float64Array(values.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = -radius; k <= radius; k++) acc += kernel[k + radius] * values[(y * width + clamp(x + k, width)) * channels + c];
        rows[(y * width + x) * channels + c] = acc;
      }
  const out = new Float32Array(values.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = -radius; k <= radius; k++) acc += kernel[k + radius] * rows[(clamp(y + k, height) * width + x) * channels + c];
        out[(y * width + x) * channels + c] = acc;
      }
  return out;
}

/** The baseline of `image` (`[1, H, W, C]`) the named-baseline parameters ask for, as a new tensor of its shape. */
export async function baselineImage(image: tf.Tensor4D, params: Params): Promise<tf.Tensor4D> {
  const kind = params.baseline as Baseline;
  if (kind === 'zeros') return tf.zeros(image.shape);
  if (kind === 'blur') {
    const [, height, width, channels] = image.shape;
    const blurred = gaussianBlur(await image.data(), height, width, channels, params.blurSigma as number);
    return tf.tensor4d(blurred, image.shape);
  }
  throw new XaiError(`Unknown baseline "${String(kind)}"; accepted: ${BASELINES.join(', ')}`);
}

/** Where a method's baseline comes from: the parameters that describe it, and the tensor it makes. */
export interface BaselineSource {
  params: readonly ParamSpec[];
  /** A new `[1, H, W, C]` tensor for `image`; the caller disposes it. */
  image(image: tf.Tensor4D, params: Params): Promise<tf.Tensor4D>;
  /** Refuses a model the baseline cannot serve, before any input is read. */
  check?(input: { height: number; width: number; channels: number }, who: string): void;
}

/** `--baseline zeros|blur` with `--blur-sigma`. */
export const NAMED_BASELINES: BaselineSource = { params: [BASELINE_PARAM, BLUR_SIGMA_PARAM], image: baselineImage };

/** A baseline the user gives: one input in the methods' NHWC layout, and a label for records. */
export interface GivenBaseline {
  /** `[1, H, W, C]` values, preprocessed as the model's inputs are. */
  values: Float32Array;
  height: number;
  width: number;
  channels: number;
  /** What `params.baseline` records (and a resumed run compares), e.g. the file's name and hash. */
  label: string;
}

/** The given input as the baseline; its size must be the model's. */
export function givenBaseline(given: GivenBaseline): BaselineSource {
  const { height, width, channels, values, label } = given;
  if (values.length !== height * width * channels) {
    throw new XaiError(`baseline ${label}: ${height}×${width}×${channels} needs ${height * width * channels} values, got ${values.length}`);
  }
  const check = (input: { height: number; width: number; channels: number }, who: string) => {
    if (input.height !== height || input.width !== width || input.channels !== channels) {
      throw new XaiError(
        `${who}: the baseline ${label} is ${height}×${width}×${channels} (H×W×C); the model takes ${input.height}×${input.width}×${input.channels}`,
      );
    }
  };
  return {
    params: [{ name: 'baseline', type: 'choice', default: label, choices: [label], help: 'the given reference input' }],
    check,
    async image(image) {
      const [, h, w, c] = image.shape;
      check({ height: h, width: w, channels: c }, 'baseline');
      return tf.tensor4d(values, [1, height, width, channels]);
    },
  };
}
