import { constantInput, normaliseAxis, unbroadcast, type BackwardContext, type BackwardRecipe } from '../context.js';
import { float } from '../emitter.js';
import type { HostTensor } from '../../host.js';

/** Strides, dilations and explicit pads of a window operator over `spatial` axes (auto_pad resolved). */
function windowGeometry(ctx: BackwardContext, kernel: readonly number[], inSize: readonly number[]) {
  const n = kernel.length;
  const attrs = ctx.node.attrs;
  const strides = attrs.ints('strides') ?? Array(n).fill(1);
  const dilations = attrs.ints('dilations') ?? Array(n).fill(1);
  let pads = attrs.ints('pads') ?? Array(2 * n).fill(0);
  const autoPad = attrs.string('auto_pad', 'NOTSET');
  if (autoPad === 'VALID') pads = Array(2 * n).fill(0);
  else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = Array(2 * n).fill(0);
    for (let a = 0; a < n; a++) {
      const out = Math.ceil(inSize[a] / strides[a]);
      const total = Math.max((out - 1) * strides[a] + (kernel[a] - 1) * dilations[a] + 1 - inSize[a], 0);
      const small = Math.floor(total / 2);
      pads[a] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[a + n] = total - pads[a];
    }
  } else if (autoPad !== 'NOTSET') ctx.fail(`auto_pad "${autoPad}" is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  return { strides, dilations, pads };
}

/**
 * The ConvTranspose that takes `g` (`[B, M, …out]`) back onto the input's grid: the window
 * geometry of the forward node with explicit pads and `output_padding`, so every size is
 * stated (never `output_shape` or `auto_pad`, whose pad split onnxruntime chooses itself). A
 * window that overhangs the padded input (ceil_mode) becomes extra end padding.
 */
function transposeWindow(ctx: BackwardContext, g: string, weights: string, kernel: readonly number[], group: number): string {
  const x = ctx.node.inputs[0];
  const inSize = ctx.shape(x).slice(2);
  const outSize = ctx.shape(ctx.node.outputs[0]).slice(2);
  const { strides, dilations, pads } = windowGeometry(ctx, kernel, inSize);
  const n = kernel.length;
  const ends = pads.slice(n);
  const outputPadding = kernel.map((k, a) => {
    const covered = (outSize[a] - 1) * strides[a] + (k - 1) * dilations[a] + 1 - pads[a] - ends[a];
    const extra = inSize[a] - covered;
    if (extra >= 0) return extra;
    ends[a] -= extra;
    return 0;
  });
  return ctx.emit.op('ConvTranspose', [g, weights], {
    strides, dilations, group, pads: [...pads.slice(0, n), ...ends],
    output_padding: outputPadding.some((p) => p !== 0) ? outputPadding : undefined,
  });
}

/**
 * The weights of the convolution that is a stride-1 convolution's transpose: input and output
 * channels swapped within each group, the kernel flipped along every spatial axis.
 */
function flippedWeights(w: HostTensor, group: number): Float32Array {
  const [m, cPerGroup, ...kernel] = w.shape;
  const taps = kernel.reduce((a, b) => a * b, 1);
  const mPerGroup = m / group;
  const out = new Float32Array(w.data.length);
  for (let g = 0; g < group; g++)
    for (let mo = 0; mo < mPerGroup; mo++)
      for (let c = 0; c < cPerGroup; c++) {
        const from = ((g * mPerGroup + mo) * cPerGroup + c) * taps;
        const to = ((g * cPerGroup + c) * mPerGroup + mo) * taps;
        for (let t = 0; t < taps; t++) out[to + t] = w.data[from + taps - 1 - t];
      }
  return out;
}

/**
 * Conv's input gradient. With stride 1 it is itself a convolution (flipped weights, pads
 * `d·(k − 1) − p`), which onnxruntime runs as fast as the forward ones; otherwise a ConvTranspose.
 */
const conv: BackwardRecipe = (ctx) => {
  if (ctx.wants(1) || ctx.wants(2)) ctx.fail('its weights depend on the image; only gradients with respect to its input are supported');
  const weights = ctx.node.inputs[1];
  const w = ctx.constant(weights);
  const kernel = (w?.shape ?? ctx.shape(weights)).slice(2);
  const group = ctx.node.attrs.int('group', 1);
  const g = ctx.gradOut()!;
  if (w) {
    const { strides, dilations, pads } = windowGeometry(ctx, kernel, ctx.shape(ctx.node.inputs[0]).slice(2));
    const n = kernel.length;
    const reach = kernel.map((k, a) => dilations[a] * (k - 1));
    const transposedPads = pads.map((p, i) => reach[i % n] - p);
    if (strides.every((s) => s === 1) && transposedPads.every((p) => p >= 0)) {
      const [m, cPerGroup] = w.shape;
      const flipped = ctx.emit.floats(flippedWeights(w, group), [cPerGroup * group, m / group, ...kernel]);
      return [ctx.emit.op('Conv', [g, flipped], { dilations, group, pads: transposedPads, kernel_shape: kernel })];
    }
  }
  return [transposeWindow(ctx, g, weights, kernel, group)];
};

/**
 * Each output's gradient goes to the element its window chose: MaxPool's own `Indices` (the
 * first maximum in row-major order; padding never wins, as in PyTorch), summed where windows
 * overlap (ScatterElements with reduction `add`; MaxUnpool would overwrite).
 */
const maxPool: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const x = ctx.node.inputs[0];
  if (ctx.node.attrs.int('storage_order', 0) !== 0) ctx.fail('storage_order 1 (column-major indices) is not supported');
  const indices = ctx.forwardOutput(1);
  const flat = e.ints([-1]);
  const zeros = e.op('ConstantOfShape', [e.reshape(e.op('Size', [x]), e.ints([1]))]);
  const scattered = e.op('ScatterElements', [zeros, e.reshape(indices, flat), e.reshape(ctx.gradOut()!, flat)], { axis: 0, reduction: 'add' });
  return [e.reshapeLike(scattered, x)];
};

/** Each output's gradient spread evenly over the elements its window averaged. */
const averagePool: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const x = ctx.node.inputs[0];
  const xs = ctx.shape(x);
  const kernel = ctx.node.attrs.ints('kernel_shape') ?? ctx.fail('it has no kernel_shape');
  const inSize = xs.slice(2);
  const outSize = ctx.shape(ctx.node.outputs[0]).slice(2);
  const { strides, dilations, pads } = windowGeometry(ctx, kernel, inSize);
  const includePad = ctx.node.attrs.int('count_include_pad', 0) === 1;
  // Per axis, how many of a window's taps fall on the input (or on its padding, when counted).
  const counts = kernel.map((k, a) =>
    Array.from({ length: outSize[a] }, (_, o) => {
      let c = 0;
      for (let t = 0; t < k; t++) {
        const i = o * strides[a] - pads[a] + t * dilations[a];
        if (includePad ? i < inSize[a] + pads[a + kernel.length] : i >= 0 && i < inSize[a]) c += 1;
      }
      return c;
    }),
  );
  const inverse = new Float32Array(outSize.reduce((a, b) => a * b, 1));
  inverse.forEach((_, flat) => {
    let rest = flat;
    let count = 1;
    for (let a = kernel.length - 1; a >= 0; a--) {
      count *= counts[a][rest % outSize[a]];
      rest = Math.floor(rest / outSize[a]);
    }
    inverse[flat] = 1 / count;
  });
  const scaled = e.mul(ctx.gradOut()!, e.floats(inverse, [1, 1, ...outSize]));
  const channels = xs[1];
  const ones = e.floats(new Float32Array(channels * kernel.reduce((a, b) => a * b, 1)).fill(1), [channels, 1, ...kernel]);
  return [transposeWindow(ctx, scaled, ones, kernel, channels)];
};

const globalAveragePool: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const x = ctx.node.inputs[0];
  const n = ctx.shape(x).slice(2).reduce((a, b) => a * b, 1);
  return [e.op('Expand', [e.mul(ctx.gradOut()!, e.scalar(1 / n)), e.shape(x)])];
};

/** The gradient goes to the first maximum of each channel (ArgMax), as PyTorch's max pooling. */
const globalMaxPool: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const x = ctx.node.inputs[0];
  const rows = e.reshape(x, e.ints([0, 0, -1]));
  const first = e.op('ArgMax', [rows], { axis: 2, keepdims: 1, select_last_index: 0 });
  const g = e.reshape(ctx.gradOut()!, e.ints([0, 0, 1]));
  return [e.reshapeLike(e.op('ScatterElements', [e.zerosLike(rows), first, g], { axis: 2 }), x)];
};

/** Inference batch norm is affine per channel: `g · scale / √(var + ε)`. */
const batchNormalization: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const [x, scale, , , variance] = ctx.node.inputs;
  if (ctx.node.attrs.int('training_mode', 0) === 1) ctx.fail('training_mode is set; only inference batch norm is supported');
  const epsilon = ctx.node.attrs.float('epsilon', 1e-5);
  const rank = ctx.shape(x).length;
  const s = ctx.constant(scale);
  const v = ctx.constant(variance);
  const trailing = Array(rank - 2).fill(1);
  let factor: string;
  if (s && v) {
    const values = new Float32Array(s.data.length);
    for (let c = 0; c < values.length; c++) values[c] = s.data[c] / Math.sqrt(v.data[c] + epsilon);
    factor = e.floats(values, [values.length, ...trailing]);
  } else {
    factor = e.reshape(e.div(scale, e.op('Sqrt', [e.add(variance, e.scalar(epsilon))])), e.ints([-1, ...trailing]));
  }
  return [e.mul(ctx.gradOut()!, factor)];
};

/** `Y = α·op(A)·op(B) + β·C`. */
const gemm: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const [a, b, c] = ctx.node.inputs;
  const g = ctx.gradOut()!;
  const alpha = ctx.node.attrs.float('alpha', 1);
  const beta = ctx.node.attrs.float('beta', 1);
  const transA = ctx.node.attrs.int('transA', 0);
  const transB = ctx.node.attrs.int('transB', 0);
  const out: (string | undefined)[] = [];
  if (ctx.wants(0)) {
    // g·op(B)ᵀ, transposed back when A was.
    const ga = e.op('Gemm', [g, b], { alpha: float(alpha), transB: transB ? 0 : 1 });
    out[0] = transA ? e.transpose(ga, [1, 0]) : ga;
  }
  if (ctx.wants(1)) {
    const gb = e.op('Gemm', [a, g], { alpha: float(alpha), transA: transA ? 0 : 1 });
    out[1] = transB ? e.transpose(gb, [1, 0]) : gb;
  }
  if (c && ctx.wants(2)) out[2] = unbroadcast(ctx, beta === 1 ? g : e.mul(g, e.scalar(beta)), c, ctx.node.outputs[0]);
  return out;
};

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return perm;
}

/** MatMul with NumPy broadcasting over the leading axes (and 1-D operands). */
const matMul: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const [a, b] = ctx.node.inputs;
  const g = ctx.gradOut()!;
  const as = ctx.constant(a)?.shape ?? ctx.shape(a);
  const bs = ctx.constant(b)?.shape ?? ctx.shape(b);
  const ys = ctx.shape(ctx.node.outputs[0]);
  const out: (string | undefined)[] = [];
  if (as.length === 1 || bs.length === 1) {
    if (as.length === 1 && bs.length === 1) ctx.fail('a product of two vectors is not supported');
    if (bs.length === 1) {
      // y[…, n] = A[…, n, k]·b[k]
      const gu = e.unsqueeze(g, [-1]);
      if (ctx.wants(0)) out[0] = unbroadcast(ctx, e.mul(gu, b), a, [...ys, bs[0]]);
      if (ctx.wants(1)) out[1] = unbroadcast(ctx, e.mul(gu, a), b, [...ys, bs[0]]);
    } else {
      // y[…, m] = a[k]·B[…, k, m]
      const gu = e.unsqueeze(g, [-2]);
      const au = e.unsqueeze(a, [-1]);
      const product = [...ys.slice(0, -1), as[0], ys[ys.length - 1]];
      if (ctx.wants(0)) out[0] = unbroadcast(ctx, e.reduceSum(e.mul(gu, b), [product.length - 1], false), a, product.slice(0, -1));
      if (ctx.wants(1)) out[1] = unbroadcast(ctx, e.mul(au, gu), b, product);
    }
    return out;
  }
  const lead = ys.slice(0, -2);
  if (ctx.wants(0)) out[0] = unbroadcast(ctx, e.op('MatMul', [g, e.transpose(b, swapLastTwo(bs.length))]), a, [...lead, ...as.slice(-2)]);
  if (ctx.wants(1)) out[1] = unbroadcast(ctx, e.op('MatMul', [e.transpose(a, swapLastTwo(as.length)), g]), b, [...lead, ...bs.slice(-2)]);
  return out;
};

/** Softmax (opset ≥ 13: along one axis): `y ⊙ (g − Σ g⊙y)`. */
const softmax: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const y = ctx.node.outputs[0];
  const g = ctx.gradOut()!;
  const axis = ctx.node.attrs.int('axis', -1);
  return [e.mul(y, e.sub(g, e.reduceSum(e.mul(g, y), [axis], true)))];
};

const logSoftmax: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const g = ctx.gradOut()!;
  const axis = ctx.node.attrs.int('axis', -1);
  return [e.sub(g, e.mul(e.op('Exp', [ctx.node.outputs[0]]), e.reduceSum(g, [axis], true)))];
};

/** LayerNormalization over the axes from `axis` on: `(gs − mean(gs) − x̂·mean(gs⊙x̂)) / σ`, gs = g⊙scale. */
const layerNormalization: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const [x, scale] = ctx.node.inputs;
  if (ctx.wants(1) || ctx.wants(2)) ctx.fail('its scale or bias depends on the image; only gradients with respect to its input are supported');
  const rank = ctx.shape(x).length;
  const axis = normaliseAxis(ctx.node.attrs.int('axis', -1), rank);
  const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
  const epsilon = ctx.node.attrs.float('epsilon', 1e-5);
  const mean = (v: string) => e.reduceMean(v, axes, true);
  const centred = e.sub(x, mean(x));
  const inverse = e.op('Reciprocal', [e.op('Sqrt', [e.add(mean(e.mul(centred, centred)), e.scalar(epsilon))])]);
  const normalised = e.mul(centred, inverse);
  const gs = e.mul(ctx.gradOut()!, scale);
  return [e.mul(inverse, e.sub(e.sub(gs, mean(gs)), e.mul(normalised, mean(e.mul(gs, normalised)))))];
};

/** The reduced axes of a Reduce* node (attribute or input, per opset), all axes when none are given. */
function reducedAxes(ctx: BackwardContext, rank: number): number[] {
  const fromInput = ctx.node.inputs[1] ? constantInput(ctx, 1, 'axes input') : undefined;
  const listed = fromInput ? Array.from(fromInput.data) : ctx.node.attrs.ints('axes');
  if (!listed || listed.length === 0) {
    if (ctx.node.attrs.int('noop_with_empty_axes', 0) === 1) return [];
    return Array.from({ length: rank }, (_, i) => i);
  }
  return listed.map((a) => normaliseAxis(a, rank)).sort((p, q) => p - q);
}

/** The output gradient with the reduced axes kept (as size 1), so it broadcasts over the input. */
function keptGradient(ctx: BackwardContext, axes: number[]): string {
  const g = ctx.gradOut()!;
  return ctx.node.attrs.int('keepdims', 1) === 1 || axes.length === 0 ? g : ctx.emit.unsqueeze(g, axes);
}

function reduceLinear(mean: boolean): BackwardRecipe {
  return (ctx) => {
    const e = ctx.emit;
    const x = ctx.node.inputs[0];
    const xs = ctx.shape(x);
    const axes = reducedAxes(ctx, xs.length);
    let g = keptGradient(ctx, axes);
    if (mean) g = e.mul(g, e.scalar(1 / axes.reduce((n, a) => n * xs[a], 1)));
    return [e.op('Expand', [g, e.shape(x)])];
  };
}

/** ReduceMax / ReduceMin: shared evenly between the elements that reach the extreme (PyTorch's amax). */
const reduceExtreme: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const x = ctx.node.inputs[0];
  const axes = reducedAxes(ctx, ctx.shape(x).length);
  const y = ctx.node.attrs.int('keepdims', 1) === 1 || axes.length === 0 ? ctx.node.outputs[0] : e.unsqueeze(ctx.node.outputs[0], axes);
  const hits = e.mask(e.op('Equal', [x, y]));
  const count = e.reduceSum(hits, axes, true);
  return [e.mul(hits, e.div(keptGradient(ctx, axes), count))];
};

export const NN_RECIPES: Record<string, BackwardRecipe> = {
  Conv: conv,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: globalMaxPool,
  BatchNormalization: batchNormalization,
  Gemm: gemm,
  MatMul: matMul,
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  LayerNormalization: layerNormalization,
  ReduceMean: reduceLinear(true),
  ReduceSum: reduceLinear(false),
  ReduceMax: reduceExtreme,
  ReduceMin: reduceExtreme,
};
