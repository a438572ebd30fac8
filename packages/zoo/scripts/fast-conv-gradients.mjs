// Training-only speed-up: faster convolution gradients for the wasm backend, expressed as forward
// convolutions (which wasm runs through XNNPACK). @xai/core's Conv2DBackpropFilter is built
// from one strided slice and one matmul per filter tap, which is correct but dominated the step
// time here. Checked against @xai/core's kernel by `checkAgainst` before training starts.
import * as tf from '@tensorflow/tfjs-core';

function geometry(xShape, filterShape, attrs) {
  return tf.backend_util.computeConv2DInfo(
    xShape, filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast',
  );
}

/**
 * dW[r, c, i, o] = Σ_b Σ_p,q xpad[b, p·s + r, q·s + c, i] · dy[b, p, q, o]: a convolution of the
 * input (channels as batch, batch as channels) with dy as the filter, dilated by the stride.
 */
export function filterGradient(x, dy, filterShape, attrs) {
  const info = geometry(x.shape, filterShape, attrs);
  const [kh, kw] = filterShape;
  const { top, left } = info.padInfo;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const needH = (info.outHeight - 1) * sh + kh;
  const needW = (info.outWidth - 1) * sw + kw;
  const padded = tf.pad(x, [[0, 0], [top, Math.max(0, needH - x.shape[1] - top)], [left, Math.max(0, needW - x.shape[2] - left)], [0, 0]]);
  const cropped = cropTo(padded, needH, needW);
  const input = tf.transpose(cropped, [3, 1, 2, 0]);
  const filter = tf.transpose(dy, [1, 2, 0, 3]);
  const out = tf.conv2d(input, filter, 1, 'valid', 'NHWC', [sh, sw]);
  return tf.transpose(out, [1, 2, 0, 3]);
}

/**
 * dx = dy (zeros inserted between rows/columns for the stride) correlated with the filter turned
 * 180° and with in/out channels swapped.
 */
export function inputGradient(dy, filter, inputShape, attrs) {
  const info = geometry(inputShape, filter.shape, attrs);
  const [kh, kw] = filter.shape;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const dilated = insertZeros(insertZeros(dy, 1, sh), 2, sw);
  const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]);
  const padTop = kh - 1 - info.padInfo.top;
  const padLeft = kw - 1 - info.padInfo.left;
  const padBottom = inputShape[1] + kh - 1 - padTop - dilated.shape[1];
  const padRight = inputShape[2] + kw - 1 - padLeft - dilated.shape[2];
  const padded = tf.pad(dilated, [[0, 0], [padTop, Math.max(0, padBottom)], [padLeft, Math.max(0, padRight)], [0, 0]]);
  const cropped = cropTo(padded, inputShape[1] + kh - 1, inputShape[2] + kw - 1);
  return tf.conv2d(cropped, flipped, 1, 'valid');
}

/**
 * Puts stride − 1 zero rows (axis 1) or columns (axis 2) after each entry of `t`; the trailing
 * zeros meet no filter tap that matters and are cropped with the padding.
 */
function insertZeros(t, axis, stride) {
  if (stride === 1) return t;
  const zeros = tf.zerosLike(t);
  const stacked = tf.stack([t, ...Array.from({ length: stride - 1 }, () => zeros)], axis + 1);
  const shape = [...t.shape];
  shape[axis] *= stride;
  return tf.reshape(stacked, shape);
}

/** The top-left height×width window (no copy when it is the whole tensor). */
function cropTo(t, height, width) {
  return t.shape[1] === height && t.shape[2] === width ? t : tf.slice(t, [0, 0, 0, 0], [-1, height, width, -1]);
}

function opsKernel(kernelName, backendName, compute) {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs }) => {
      const engine = tf.engine();
      const tensors = {};
      for (const [name, info] of Object.entries(inputs)) {
        tensors[name] = engine.makeTensorFromTensorInfo(info);
        engine.backend.incRef(info.dataId);
      }
      try {
        return tf.tidy(() => compute(tensors, attrs));
      } finally {
        Object.values(tensors).forEach((t) => t.dispose());
      }
    },
  };
}

function supported(attrs) {
  const d = attrs.dilations ?? 1;
  return attrs.dataFormat !== 'NCHW' && (d === 1 || (Array.isArray(d) && d.every((v) => v === 1)));
}

/** Replaces the wasm kernels; returns a function that checks them against the previous ones. */
export function installFastConvGradients(backendName = 'wasm') {
  const previous = {
    filter: tf.getKernel('Conv2DBackpropFilter', backendName),
    input: tf.getKernel('Conv2DBackpropInput', backendName),
  };
  const fast = (name, compute) => {
    const ops = opsKernel(name, backendName, compute);
    const fallback = previous[name === 'Conv2DBackpropFilter' ? 'filter' : 'input'];
    tf.unregisterKernel(name, backendName);
    tf.registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: (args) => (supported(args.attrs) ? ops.kernelFunc(args) : fallback.kernelFunc(args)),
    });
  };
  fast('Conv2DBackpropFilter', ({ x, dy }, attrs) => filterGradient(x, dy, attrs.filterShape, attrs));
  fast('Conv2DBackpropInput', ({ dy, filter }, attrs) => inputGradient(dy, filter, attrs.inputShape, attrs));
  return previous;
}

/** Max |fast − reference| / max |reference| over the convolution shapes the demo model uses. */
export async function worstRelativeError(reference) {
  const cases = [
    { x: [2, 96, 96, 3], f: [3, 3, 3, 16], s: 2 },
    { x: [2, 48, 48, 16], f: [3, 3, 16, 24], s: 2 },
    { x: [2, 48, 48, 16], f: [1, 1, 16, 24], s: 2 },
    { x: [2, 24, 24, 24], f: [3, 3, 24, 24], s: 1 },
    { x: [2, 12, 12, 48], f: [3, 3, 48, 64], s: 1 },
    { x: [2, 13, 11, 5], f: [3, 3, 5, 4], s: 2 },
  ];
  let worst = 0;
  for (const c of cases) {
    const x = tf.randomNormal(c.x, 0, 1, 'float32', 1);
    const w = tf.randomNormal(c.f, 0, 1, 'float32', 2);
    const y = tf.conv2d(x, w, c.s, 'same');
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
    const attrs = { strides: [c.s, c.s], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], filterShape: c.f, inputShape: c.x };
    const pairs = [
      [filterGradient(x, dy, c.f, attrs), runKernel(reference.filter, { x, dy }, attrs)],
      [inputGradient(dy, w, c.x, attrs), runKernel(reference.input, { dy, filter: w }, attrs)],
    ];
    for (const [fast, ref] of pairs) {
      const scale = (await tf.max(tf.abs(ref)).data())[0];
      const err = (await tf.max(tf.abs(tf.sub(fast, ref))).data())[0];
      worst = Math.max(worst, err / scale);
    }
    tf.dispose([x, w, y, dy, ...pairs.flat()]);
  }
  return worst;
}

function runKernel(config, inputs, attrs) {
  const backend = tf.engine().backend;
  const out = config.kernelFunc({ inputs, attrs, backend });
  const info = Array.isArray(out) ? out[0] : out;
  return tf.engine().makeTensorFromTensorInfo(info);
}
