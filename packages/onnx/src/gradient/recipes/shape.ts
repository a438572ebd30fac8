import { constantInput, normaliseAxis, unbroadcast, type BackwardContext, type BackwardRecipe } from '../context.js';

/** Operators that only lay the same values out anew: the gradient is laid out as the input. */
const relayout: BackwardRecipe = (ctx) => [ctx.emit.reshapeLike(ctx.gradOut()!, ctx.node.inputs[0])];

const transpose: BackwardRecipe = (ctx) => {
  const rank = ctx.shape(ctx.node.inputs[0]).length;
  const perm = ctx.node.attrs.ints('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return [ctx.emit.transpose(ctx.gradOut()!, inverse)];
};

const expand: BackwardRecipe = (ctx) => [unbroadcast(ctx, ctx.gradOut()!, ctx.node.inputs[0], ctx.node.outputs[0])];

/** Each input gets its stretch of the gradient along the axis. */
const concat: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const out = ctx.shape(ctx.node.outputs[0]);
  const axis = normaliseAxis(ctx.node.attrs.int('axis', 0), out.length);
  let start = 0;
  return ctx.node.inputs.map((input, i) => {
    const size = (ctx.constant(input)?.shape ?? ctx.shape(input))[axis];
    const piece = ctx.wants(i) ? e.op('Slice', [ctx.gradOut()!, e.ints([start]), e.ints([start + size]), e.ints([axis])]) : undefined;
    start += size;
    return piece;
  });
};

/** The outputs' gradients side by side; an output no gradient reaches contributes zeros. */
const split: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const rank = ctx.shape(ctx.node.inputs[0]).length;
  const axis = normaliseAxis(ctx.node.attrs.int('axis', 0), rank);
  const parts = ctx.node.outputs.map((o, i) => ctx.gradOut(i) ?? e.zerosLike(o));
  return [e.op('Concat', parts, { axis })];
};

/** Slice with step 1: the gradient padded back with zeros to the input's extent. */
const slice: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const x = ctx.node.inputs[0];
  const xs = ctx.shape(x);
  const starts = Array.from(constantInput(ctx, 1, 'starts').data);
  const ends = Array.from(constantInput(ctx, 2, 'ends').data);
  const axes = ctx.node.inputs[3] ? Array.from(constantInput(ctx, 3, 'axes').data) : starts.map((_, i) => i);
  const steps = ctx.node.inputs[4] ? Array.from(constantInput(ctx, 4, 'steps').data) : starts.map(() => 1);
  const pads = new Array<number>(2 * xs.length).fill(0);
  axes.forEach((raw, i) => {
    if (steps[i] !== 1) ctx.fail(`a step of ${steps[i]} is not supported (only 1)`);
    const a = normaliseAxis(raw, xs.length);
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + xs[a] : v, 0), xs[a]);
    const begin = clamp(starts[i]);
    const end = Math.max(clamp(ends[i]), begin);
    pads[a] = begin;
    pads[a + xs.length] = xs[a] - end;
  });
  return [e.op('Pad', [ctx.gradOut()!, e.ints(pads)])];
};

/** Constant-mode Pad: the gradient of the unpadded part. */
const pad: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const x = ctx.node.inputs[0];
  const xs = ctx.shape(x);
  if (ctx.node.attrs.string('mode', 'constant') !== 'constant') ctx.fail(`mode "${ctx.node.attrs.string('mode', '')}" is not supported (only constant)`);
  const padsGiven = Array.from(constantInput(ctx, 1, 'pads').data);
  const axes = ctx.node.inputs[3] ? Array.from(constantInput(ctx, 3, 'axes').data).map((a) => normaliseAxis(a, xs.length)) : xs.map((_, i) => i);
  if (padsGiven.some((p) => p < 0)) ctx.fail('negative pads (cropping) are not supported');
  // Only the padded axes are cut (the batch axis, never padded, keeps its size).
  const padded = axes.map((a, i) => ({ a, begin: padsGiven[i], end: padsGiven[i + axes.length] })).filter((p) => p.begin !== 0 || p.end !== 0);
  if (padded.length === 0) return [ctx.gradOut()];
  const starts = padded.map((p) => p.begin);
  const ends = padded.map((p) => p.begin + xs[p.a]);
  return [e.op('Slice', [ctx.gradOut()!, e.ints(starts), e.ints(ends), e.ints(padded.map((p) => p.a))])];
};

/**
 * Gather with constant indices: each picked slice's gradient returns to its place along the axis,
 * summed where an index repeats (a one-hot product).
 */
const gather: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  if (ctx.wants(1)) ctx.fail('its indices depend on the image');
  const x = ctx.node.inputs[0];
  const xs = ctx.shape(x);
  const axis = normaliseAxis(ctx.node.attrs.int('axis', 0), xs.length);
  const indices = constantInput(ctx, 1, 'indices');
  const size = xs[axis];
  const picks = Array.from(indices.data, (i) => (i < 0 ? i + size : i));
  const g = ctx.gradOut()!;
  if (indices.shape.length === 0) {
    const pads = new Array<number>(2 * xs.length).fill(0);
    pads[axis] = picks[0];
    pads[axis + xs.length] = size - picks[0] - 1;
    return [e.op('Pad', [e.unsqueeze(g, [axis]), e.ints(pads)])];
  }
  // Indices of rank r put r axes where the gathered one was: merged into one (the leading axes,
  // which may be the batch, copied as they are).
  const merged = indices.shape.length === 1 ? g : e.reshape(g, e.ints([...xs.slice(0, axis).map(() => 0), picks.length, ...xs.slice(axis + 1)]));
  // Move the gathered axis last, multiply by the [picks, size] one-hot, and move it back.
  const rank = xs.length;
  const toLast = [...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== axis), axis];
  const back = new Array<number>(rank);
  toLast.forEach((p, i) => (back[p] = i));
  const oneHot = new Float32Array(picks.length * size);
  picks.forEach((p, r) => (oneHot[r * size + p] = 1));
  const moved = e.op('MatMul', [e.transpose(merged, toLast), e.floats(oneHot, [picks.length, size])]);
  return [e.transpose(moved, back)];
};

/** ScatterND (no reduction): the scattered places take their gradient from the updates. */
const scatterND: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const [, indices, updates] = ctx.node.inputs;
  if (ctx.node.attrs.string('reduction', 'none') !== 'none') ctx.fail(`reduction "${ctx.node.attrs.string('reduction', '')}" is not supported (only none)`);
  const g = ctx.gradOut()!;
  return [ctx.wants(0) ? e.op('ScatterND', [g, indices, e.zerosLike(updates)]) : undefined, undefined, ctx.wants(2) ? e.op('GatherND', [g, indices]) : undefined];
};

export const SHAPE_RECIPES: Record<string, BackwardRecipe> = {
  Reshape: relayout,
  Flatten: relayout,
  Squeeze: relayout,
  Unsqueeze: relayout,
  Transpose: transpose,
  Expand: expand,
  Concat: concat,
  Split: split,
  Slice: slice,
  Pad: pad,
  Gather: gather,
  ScatterND: scatterND,
};
