import { XaiError, type NpyArray } from '@xai/core';
import { checkP1 } from './binary.js';
import type { MaskSource } from './source.js';

export interface LoadedMaskOptions {
  /** How the masks were made; decides the normalisation. `binary` by default. */
  kind?: 'binary' | 'gaussian';
  /**
   * Binary masks only: the keep probability they were drawn with, to normalise by N·p1 as the
   * reference does. Without it the masks' measured mean is used.
   */
  p1?: number;
  /** Where the masks came from (a file name), for messages and the maps' parameters. */
  name?: string;
}

const ACCEPTED = 'float32 or float64 arrays of shape N×1×H×W or N×H×W with N ≥ 1';

/** A given mask set (for example read from a `.npy` file): it replaces generation. */
export function masksFromNpy(array: NpyArray, options: LoadedMaskOptions = {}): MaskSource {
  const name = options.name ?? 'mask array';
  const kind = options.kind ?? 'binary';
  if (kind !== 'binary' && kind !== 'gaussian') {
    throw new XaiError(`${name}: unknown mask kind '${String(kind)}'; accepted: binary, gaussian`);
  }
  if (options.p1 !== undefined && kind !== 'binary') {
    throw new XaiError(`${name}: p1 applies to binary masks only; Gaussian masks are normalised by their mean`);
  }
  const p1 = options.p1 === undefined ? undefined : checkP1(options.p1);
  const [count, height, width] = maskShape(array, name);
  const data = array.data instanceof Float32Array ? array.data : Float32Array.from(array.data as Float64Array);
  const mean = measuredMean(data);
  const pixels = height * width;

  return {
    kind,
    count,
    height,
    width,
    params: { n: count, file: options.name, ...(p1 === undefined ? {} : { p1 }) },
    open() {
      let drawn = 0;
      return {
        next(n) {
          if (drawn + n > count) throw new XaiError(`Asked for masks ${drawn}–${drawn + n - 1} of a set of ${count}`);
          const batch = data.slice(drawn * pixels, (drawn + n) * pixels);
          drawn += n;
          return batch;
        },
        normalizingMean: () => p1 ?? mean,
      };
    },
  };
}

function maskShape(array: NpyArray, name: string): [number, number, number] {
  if (array.dtype !== 'float32' && array.dtype !== 'float64') {
    throw new XaiError(`${name}: masks of dtype ${array.dtype} are not supported; accepted: ${ACCEPTED}`);
  }
  const shape = array.shape;
  const fits = (shape.length === 4 && shape[1] === 1) || shape.length === 3;
  if (!fits || shape[0] < 1 || shape.some((d) => d < 1)) {
    throw new XaiError(`${name}: masks of shape (${shape.join(', ')}) are not supported; accepted: ${ACCEPTED}`);
  }
  const [count, height, width] = shape.length === 4 ? [shape[0], shape[2], shape[3]] : shape;
  return [count, height, width];
}

function measuredMean(data: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i];
  return sum / data.length;
}
