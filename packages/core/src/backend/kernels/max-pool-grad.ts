import * as tf from '@tensorflow/tfjs-core';

/**
 * `MaxPoolGrad` as PyTorch defines it: each output's gradient goes to the *first* maximal element
 * of its window in row-major order (a NaN wins, the last one, as in PyTorch's CPU kernel);
 * padding never wins, and a window with no element inside the input sends nothing back.
 *
 * For backends whose synchronous reads are cheap (wasm, cpu): a loop over the input on the host.
 * tfjs-backend-wasm 4.22's own kernel sends a tie to the *last* maximal element (`>=`), and a
 * window whose maximum is ≤ 1.2e-38 (zeros after a ReLU, or any negative window) to the tensor's
 * first element (it starts from `numeric_limits<float>::min()`, the smallest positive float), so
 * the gradient of such windows is lost. Flat or saturated regions of a picture make windows tie
 * with a positive maximum, and then the input gradient is wrong.
 */
export function maxPoolGrad(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.MaxPoolGrad,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dy, input } = inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
      const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
      const info = tf.backend_util.computePool2DInfo(
        input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode,
      );
      const b = backend as tf.KernelBackend;
      const xs = b.readSync(input.dataId) as Float32Array;
      const dys = b.readSync(dy.dataId) as Float32Array;
      const dx = backPropagateToFirstMaxima(xs, dys, info);
      return { dataId: b.write(dx, input.shape, 'float32'), shape: input.shape, dtype: 'float32' };
    },
  };
}

/** The loop itself, NHWC: for every window, per channel, the first maximal element gets `dy`. */
function backPropagateToFirstMaxima(xs: Float32Array, dys: Float32Array, info: tf.backend_util.Conv2DInfo): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: kh, effectiveFilterWidth: kw, dilationHeight, dilationWidth } = info;
  const { top, left } = info.padInfo;
  const dx = new Float32Array(xs.length);
  const best = new Float32Array(channels);
  const at = new Int32Array(channels);
  for (let n = 0; n < batchSize; n++) {
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        let first = -1;
        for (let r = 0; r < kh; r += dilationHeight) {
          const y = y0 + r;
          if (y < 0 || y >= inHeight) continue;
          for (let c = 0; c < kw; c += dilationWidth) {
            const x = x0 + c;
            if (x < 0 || x >= inWidth) continue;
            const base = ((n * inHeight + y) * inWidth + x) * channels;
            if (first < 0) {
              first = base;
              best.fill(-Infinity);
              for (let ch = 0; ch < channels; ch++) at[ch] = base + ch;
            }
            for (let ch = 0; ch < channels; ch++) {
              const v = xs[base + ch];
              // Strictly greater: a later equal element does not take over.
              if (v > best[ch] || v !== v) {
                best[ch] = v;
                at[ch] = base + ch;
              }
            }
          }
        }
        if (first < 0) continue; // the window lies in the padding only
        const dyBase = ((n * outHeight + oy) * outWidth + ox) * channels;
        for (let ch = 0; ch < channels; ch++) dx[at[ch]] += dys[dyBase + ch];
      }
    }
  }
  return dx;
}
