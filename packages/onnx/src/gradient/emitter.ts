import { DTYPE } from '../host.js';
import type { AttributeProto, NodeProto, TensorProto } from '../proto.js';

/** An attribute value as the emitter takes it: numbers are ints unless wrapped by `float`. */
export type AttrValue = number | string | readonly number[] | { float: number } | { floats: readonly number[] };

const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export const float = (value: number): { float: number } => ({ float: value });

function attribute(name: string, value: AttrValue): AttributeProto {
  if (typeof value === 'number') return { name, type: ATTR.INT, i: value };
  if (typeof value === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(value) };
  if ('float' in value) return { name, type: ATTR.FLOAT, f: value.float };
  if ('floats' in value) return { name, type: ATTR.FLOATS, floats: [...value.floats] };
  return { name, type: ATTR.INTS, ints: [...(value as readonly number[])] };
}

/**
 * Writes the nodes and constants of a gradient graph in standard ONNX operators, at one opset
 * (≥ 17). Operators whose signature moved between opsets (reductions, Squeeze) are written in
 * the form that opset takes. Names are unique under a prefix no exporter uses.
 */
export class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private next = 0;
  private readonly constants = new Map<string, string>();

  constructor(
    readonly opset: number,
    private readonly prefix = 'xai_grad',
  ) {}

  fresh(hint: string): string {
    return `${this.prefix}/${hint}_${this.next++}`;
  }

  /** One node; returns its output names (`outputs` of them, or the names given). */
  node(op: string, inputs: readonly string[], attrs: Record<string, AttrValue | undefined> = {}, outputs: number | readonly string[] = 1): string[] {
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(op)) : [...outputs];
    const attribute_ = Object.entries(attrs).flatMap(([k, v]) => (v === undefined ? [] : [attribute(k, v)]));
    this.nodes.push({ name: this.fresh(`${op}_node`), opType: op, input: [...inputs], output: names, attribute: attribute_ });
    return names;
  }

  /** One node with one output. */
  op(op: string, inputs: readonly string[], attrs: Record<string, AttrValue | undefined> = {}): string {
    return this.node(op, inputs, attrs)[0];
  }

  /** A float32 constant (initializer); equal small constants are shared. */
  floats(values: ArrayLike<number>, dims: readonly number[]): string {
    return this.constant(DTYPE.FLOAT, values, dims);
  }

  /** An int64 constant. */
  ints(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(DTYPE.INT64, values, dims);
  }

  scalar(value: number): string {
    return this.floats([value], []);
  }

  private constant(type: number, values: ArrayLike<number>, dims: readonly number[]): string {
    const small = values.length <= 16;
    const key = small ? `${type}:${dims.join('x')}:${Array.from(values).join(',')}` : '';
    const known = small ? this.constants.get(key) : undefined;
    if (known) return known;
    const name = this.fresh(type === DTYPE.FLOAT ? 'const' : 'ints');
    const tensor: TensorProto = { name, dataType: type, dims: [...dims] };
    if (type === DTYPE.FLOAT) tensor.rawData = new Uint8Array(Float32Array.from(values).buffer);
    else {
      const raw = new BigInt64Array(values.length);
      for (let i = 0; i < values.length; i++) raw[i] = BigInt(values[i]);
      tensor.rawData = new Uint8Array(raw.buffer);
    }
    this.initializers.push(tensor);
    if (small) this.constants.set(key, name);
    return name;
  }

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op('Sub', [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op('Mul', [a, b]);
  }
  div(a: string, b: string): string {
    return this.op('Div', [a, b]);
  }
  neg(a: string): string {
    return this.op('Neg', [a]);
  }
  shape(x: string): string {
    return this.op('Shape', [x]);
  }
  reshape(x: string, shape: string): string {
    return this.op('Reshape', [x, shape]);
  }
  /** `x` laid out as `like` (same element count). */
  reshapeLike(x: string, like: string): string {
    return this.reshape(x, this.shape(like));
  }
  /** A float mask of `condition` (1 where true). */
  mask(condition: string): string {
    return this.op('Cast', [condition], { to: DTYPE.FLOAT });
  }
  /** `g` where `condition` holds, 0 elsewhere (a boolean mask costs less memory than a float one). */
  passWhere(condition: string, g: string): string {
    return this.op('Where', [condition, g, this.scalar(0)]);
  }
  zerosLike(x: string): string {
    return this.op('ConstantOfShape', [this.shape(x)], {});
  }
  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x], { perm });
  }
  unsqueeze(x: string, axes: readonly number[]): string {
    return this.op('Unsqueeze', [x, this.ints(axes)]);
  }
  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    return this.op('ReduceSum', [x, this.ints(axes)], { keepdims: keepdims ? 1 : 0 });
  }
  /** ReduceMean takes `axes` as an attribute below opset 18 and as an input from it. */
  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string {
    if (this.opset >= 18) return this.op('ReduceMean', [x, this.ints(axes)], { keepdims: keepdims ? 1 : 0 });
    return this.op('ReduceMean', [x], { axes, keepdims: keepdims ? 1 : 0 });
  }
  /** The sum of gradient contributions. */
  sum(parts: readonly string[]): string {
    return parts.length === 1 ? parts[0] : this.op('Sum', parts);
  }
}
