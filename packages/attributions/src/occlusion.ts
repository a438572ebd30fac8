import * as tf from '@tensorflow/tfjs-core';
import { XaiError, attributionMap, runBatched, type MethodDescriptor, type ParamSpec } from '@xai/core';
import { NAMED_BASELINES, type BaselineSource } from './baseline.js';

const WINDOW_PARAMS: readonly ParamSpec[] = [
  { name: 'window', type: 'int', default: 16, min: 1, max: 65_536, help: 'side in pixels of the square occluded window (all channels at once)' },
  { name: 'stride', type: 'int', default: 8, min: 1, max: 65_536, help: 'step in pixels between windows, at most the window' },
];

/** One axis: where each window starts and ends (the last may run past the edge and is cut there). */
export interface WindowAxis {
  starts: number[];
  ends: number[];
}

/**
 * Captum's windows along an axis of `length`: `ceil((length − window) / stride) + 1` of them,
 * starting at multiples of `stride`; one that runs past the end is cut at the edge.
 */
export function windowAxis(length: number, window: number, stride: number): WindowAxis {
  const count = Math.ceil((length - window) / stride) + 1;
  const starts = Array.from({ length: count }, (_, i) => i * stride);
  return { starts, ends: starts.map((s) => Math.min(length, s + window)) };
}

/**
 * Occlusion (Captum's `Occlusion`, sliding window `C × w × w`, strides `C × s × s`): every window
 * replaced by the baseline (zeros by default) is scored through `predict`, `batchSize` windows a
 * pass, so a fast engine (onnxruntime) runs them; each input value gets the mean, over the windows
 * that cover it, of `y_c(x) − y_c(x with the window occluded)`. One set of passes serves every
 * class. Black-box.
 */
export const occlusion = occlusionWith(NAMED_BASELINES);

/** Occlusion with windows set to the baseline `source` makes (`withBaseline` gives it a user's). */
export function occlusionWith(source: BaselineSource): MethodDescriptor {
  return {
    id: 'occlusion',
    label: 'Occlusion',
    paper: {
      title: 'Visualizing and Understanding Convolutional Networks',
      authors: 'Zeiler, Fergus',
      year: 2014,
      url: 'https://arxiv.org/abs/1311.2901',
    },
    box: 'black',
    layers: 'none',
    everyClassAtOnce: true,
    params: [...WINDOW_PARAMS, ...source.params],
    check(model, params) {
      const { height, width } = model.input;
      const window = params.window as number;
      const stride = params.stride as number;
      if (window > Math.min(height, width)) {
        throw new XaiError(
          `occlusion: the window (${window}×${window}) is larger than the image (${height}×${width}); window must be a whole number from 1 to ${Math.min(height, width)}`,
        );
      }
      const spans = window === height && window === width;
      if (stride > window && !spans) {
        throw new XaiError(
          `occlusion: the stride (${stride}) is larger than the window (${window}), which would leave pixels that no window covers; stride must be from 1 to ${window}`,
        );
      }
      source.check?.(model.input, 'occlusion');
    },
    async run(model, image, params, context) {
      const [, height, width, channels] = image.shape;
      const rows = windowAxis(height, params.window as number, params.stride as number);
      const cols = windowAxis(width, params.window as number, params.stride as number);
      const count = rows.starts.length * cols.starts.length;
      const classes = model.numClasses;
      const { targets } = context;
      const baseline = await source.image(image, params);
      const scores = new Float32Array(count * classes);
      let intact: Float32Array;
      try {
        const logits = await model.predict(image);
        try {
          intact = Float32Array.from(await logits.data());
        } finally {
          logits.dispose();
        }
        await runBatched(
          count,
          async ({ start, end }) => {
            const m = end - start;
            const masks = new Float32Array(m * height * width);
            for (let k = start; k < end; k++) {
              const r = Math.floor(k / cols.starts.length);
              const c = k % cols.starts.length;
              for (let y = rows.starts[r]; y < rows.ends[r]; y++) masks.fill(1, ((k - start) * height + y) * width + cols.starts[c], ((k - start) * height + y) * width + cols.ends[c]);
            }
            const occluded = tf.tidy(() => {
              const mask = tf.tensor4d(masks, [m, height, width, 1]);
              return tf.add(tf.mul(image, tf.sub(1, mask)), tf.mul(baseline, mask)) as tf.Tensor4D;
            });
            const logits = await model.predict(occluded);
            try {
              if (logits.shape[0] !== m || logits.shape[1] !== classes) {
                throw new Error(`occlusion: expected logits [${m}, ${classes}] for windows ${start}…${end - 1}, got [${logits.shape.join(', ')}]`);
              }
              return (await logits.data()) as Float32Array;
            } finally {
              logits.dispose();
            }
          },
          (values, { start }) => scores.set(values, start * classes),
          { batchSize: context.batchSize, signal: context.signal, onProgress: context.onProgress, stage: 'occlusion' },
        );
      } finally {
        baseline.dispose();
      }
      return targets.map((target) => {
        const sum = new Float64Array(height * width);
        const covered = new Uint32Array(height * width);
        for (let k = 0; k < count; k++) {
          const r = Math.floor(k / cols.starts.length);
          const c = k % cols.starts.length;
          const drop = intact[target.index] - scores[k * classes + target.index];
          for (let y = rows.starts[r]; y < rows.ends[r]; y++)
            for (let x = cols.starts[c]; x < cols.ends[c]; x++) {
              sum[y * width + x] += drop;
              covered[y * width + x]++;
            }
        }
        const attribution = new Float32Array(height * width * channels);
        for (let p = 0; p < sum.length; p++) attribution.fill(covered[p] ? sum[p] / covered[p] : 0, p * channels, (p + 1) * channels);
        return attributionMap(model.input, attribution, target, 'occlusion', { windows: count });
      });
    },
  };
}
