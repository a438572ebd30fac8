import { unbroadcast, type BackwardContext, type BackwardRecipe } from '../context.js';

/** A one-input operator whose gradient is `g` times a factor made from its input and output. */
function unary(factor: (ctx: BackwardContext, x: string, y: string) => string): BackwardRecipe {
  return (ctx) => {
    const g = ctx.gradOut()!;
    return [ctx.emit.mul(g, factor(ctx, ctx.node.inputs[0], ctx.node.outputs[0]))];
  };
}

const passThrough: BackwardRecipe = (ctx) => [ctx.gradOut()];

/** Inference Dropout passes everything; a training-mode one (random masks) is refused. */
const dropout: BackwardRecipe = (ctx) => {
  const mode = ctx.node.inputs[2];
  const training = mode ? ctx.constant(mode) : undefined;
  if (mode && (!training || training.data[0] !== 0)) ctx.fail('training_mode may be set; only inference Dropout (the identity) is supported');
  return [ctx.gradOut()];
};

/** `g · [x > 0]`: PyTorch's ReLU backward (nothing passes at exactly 0). */
const relu: BackwardRecipe = (ctx) => [ctx.emit.passWhere(ctx.emit.op('Greater', [ctx.node.inputs[0], ctx.emit.scalar(0)]), ctx.gradOut()!)];

/** Clip (ReLU6 and hardtanh): the gradient passes strictly inside (min, max), as PyTorch's hardtanh. */
const clip: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const [x, min, max] = ctx.node.inputs;
  const lowAttr = ctx.node.attrs.has('min') ? ctx.node.attrs.float('min', 0) : undefined;
  const highAttr = ctx.node.attrs.has('max') ? ctx.node.attrs.float('max', 0) : undefined;
  let passes: string | undefined;
  const low = min ? min : lowAttr !== undefined ? e.scalar(lowAttr) : undefined;
  const high = max ? max : highAttr !== undefined ? e.scalar(highAttr) : undefined;
  if (low) passes = e.op('Greater', [x, low]);
  if (high) {
    const below = e.op('Less', [x, high]);
    passes = passes ? e.op('And', [passes, below]) : below;
  }
  return [passes ? e.passWhere(passes, ctx.gradOut()!) : ctx.gradOut()];
};

const leakyRelu: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const alpha = ctx.node.attrs.float('alpha', 0.01);
  const g = ctx.gradOut()!;
  return [e.op('Where', [e.op('Greater', [ctx.node.inputs[0], e.scalar(0)]), g, e.mul(g, e.scalar(alpha))])];
};

/** HardSigmoid: `alpha` where `0 < alpha·x + beta < 1`. */
const hardSigmoid: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const alpha = ctx.node.attrs.float('alpha', 0.2);
  const beta = ctx.node.attrs.float('beta', 0.5);
  const z = e.add(e.mul(ctx.node.inputs[0], e.scalar(alpha)), e.scalar(beta));
  const inside = e.op('And', [e.op('Greater', [z, e.scalar(0)]), e.op('Less', [z, e.scalar(1)])]);
  return [e.mul(ctx.gradOut()!, e.mul(e.mask(inside), e.scalar(alpha)))];
};

/** HardSwish as PyTorch differentiates it: 0 below −3, `x/3 + 1/2` up to 3 (inclusive), 1 above. */
const hardSwish: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const x = ctx.node.inputs[0];
  const ramp = e.add(e.div(x, e.scalar(3)), e.scalar(0.5));
  const upper = e.op('Where', [e.op('LessOrEqual', [x, e.scalar(3)]), ramp, e.scalar(1)]);
  const slope = e.op('Where', [e.op('Less', [x, e.scalar(-3)]), e.scalar(0), upper]);
  return [e.mul(ctx.gradOut()!, slope)];
};

/** The standard normal density φ(x) = exp(−x²/2)/√(2π). */
function normalDensity(ctx: BackwardContext, x: string): string {
  const e = ctx.emit;
  return e.mul(e.op('Exp', [e.mul(e.mul(x, x), e.scalar(-0.5))]), e.scalar(1 / Math.sqrt(2 * Math.PI)));
}

/** GELU: exact `Φ(x) + x·φ(x)`, or the derivative of the tanh approximation. */
const gelu: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const x = ctx.node.inputs[0];
  let slope: string;
  if (ctx.node.attrs.string('approximate', 'none') === 'tanh') {
    const k = Math.sqrt(2 / Math.PI);
    const x3 = e.mul(e.mul(x, x), x);
    const inner = e.mul(e.add(x, e.mul(x3, e.scalar(0.044715))), e.scalar(k));
    const t = e.op('Tanh', [inner]);
    const dInner = e.mul(e.add(e.scalar(1), e.mul(e.mul(x, x), e.scalar(3 * 0.044715))), e.scalar(k));
    const sech2 = e.sub(e.scalar(1), e.mul(t, t));
    slope = e.add(e.mul(e.add(e.scalar(1), t), e.scalar(0.5)), e.mul(e.mul(e.mul(x, e.scalar(0.5)), sech2), dInner));
  } else {
    const cdf = e.mul(e.add(e.op('Erf', [e.mul(x, e.scalar(Math.SQRT1_2))]), e.scalar(1)), e.scalar(0.5));
    slope = e.add(cdf, e.mul(x, normalDensity(ctx, x)));
  }
  return [e.mul(ctx.gradOut()!, slope)];
};

/** `a ∘ b` with broadcasting: each side's gradient summed back to its own shape. */
function binary(da: (ctx: BackwardContext, g: string) => string, db: (ctx: BackwardContext, g: string) => string): BackwardRecipe {
  return (ctx) => {
    const g = ctx.gradOut()!;
    const [a, b] = ctx.node.inputs;
    const out = ctx.node.outputs[0];
    return [ctx.wants(0) ? unbroadcast(ctx, da(ctx, g), a, out) : undefined, ctx.wants(1) ? unbroadcast(ctx, db(ctx, g), b, out) : undefined];
  };
}

const pow: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const [x, p] = ctx.node.inputs;
  if (ctx.wants(1)) ctx.fail('its exponent depends on the image; only a constant exponent is supported');
  const exponent = ctx.constant(p);
  const slope =
    exponent && exponent.data.length === 1
      ? e.mul(e.op('Pow', [x, e.scalar(exponent.data[0] - 1)]), e.scalar(exponent.data[0]))
      : e.mul(e.op('Pow', [x, e.sub(e.op('Cast', [p], { to: 1 }), e.scalar(1))]), e.op('Cast', [p], { to: 1 }));
  return [unbroadcast(ctx, e.mul(ctx.gradOut()!, slope), x, ctx.node.outputs[0])];
};

const where: BackwardRecipe = (ctx) => {
  const e = ctx.emit;
  const [condition, a, b] = ctx.node.inputs;
  const g = ctx.gradOut()!;
  const out = ctx.node.outputs[0];
  const zero = e.scalar(0);
  return [
    undefined,
    ctx.wants(1) ? unbroadcast(ctx, e.op('Where', [condition, g, zero]), a, out) : undefined,
    ctx.wants(2) ? unbroadcast(ctx, e.op('Where', [condition, zero, g]), b, out) : undefined,
  ];
};

export const ELEMENTWISE_RECIPES: Record<string, BackwardRecipe> = {
  Identity: passThrough,
  Dropout: dropout,
  Cast: passThrough,
  Relu: relu,
  Clip: clip,
  LeakyRelu: leakyRelu,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Gelu: gelu,
  Neg: (ctx) => [ctx.emit.neg(ctx.gradOut()!)],
  Abs: unary((ctx, x) => ctx.emit.op('Sign', [x])),
  Sqrt: (ctx) => [ctx.emit.div(ctx.emit.mul(ctx.gradOut()!, ctx.emit.scalar(0.5)), ctx.node.outputs[0])],
  Exp: unary((_ctx, _x, y) => y),
  Log: (ctx) => [ctx.emit.div(ctx.gradOut()!, ctx.node.inputs[0])],
  Reciprocal: unary((ctx, _x, y) => ctx.emit.neg(ctx.emit.mul(y, y))),
  Tanh: unary((ctx, _x, y) => ctx.emit.sub(ctx.emit.scalar(1), ctx.emit.mul(y, y))),
  Sigmoid: unary((ctx, _x, y) => ctx.emit.mul(y, ctx.emit.sub(ctx.emit.scalar(1), y))),
  Erf: unary((ctx, x) => ctx.emit.mul(ctx.emit.op('Exp', [ctx.emit.neg(ctx.emit.mul(x, x))]), ctx.emit.scalar(2 / Math.sqrt(Math.PI)))),
  Add: binary((_ctx, g) => g, (_ctx, g) => g),
  Sub: binary((_ctx, g) => g, (ctx, g) => ctx.emit.neg(g)),
  Mul: binary((ctx, g) => ctx.emit.mul(g, ctx.node.inputs[1]), (ctx, g) => ctx.emit.mul(g, ctx.node.inputs[0])),
  // d(a/b)/db = −a/b² = −y/b.
  Div: binary((ctx, g) => ctx.emit.div(g, ctx.node.inputs[1]), (ctx, g) => ctx.emit.neg(ctx.emit.div(ctx.emit.mul(g, ctx.node.outputs[0]), ctx.node.inputs[1]))),
  Pow: pow,
  Where: where,
};
