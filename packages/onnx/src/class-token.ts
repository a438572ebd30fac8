import type { OnnxGraph } from './graph.js';
import type { GraphNode } from './ir.js';

/** Operators that act on each token alone (position-wise), whatever their other operands. */
const POSITION_WISE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Erf', 'Relu', 'Sigmoid', 'Tanh', 'Sqrt', 'Exp', 'Neg', 'Abs', 'Reciprocal',
  'Identity', 'Dropout', 'Cast', 'Gelu', 'Clip', 'HardSwish', 'HardSigmoid', 'LeakyRelu',
]);

/** Last-axis reductions and normalisations of [1, T, D] tokens: still one result per token. */
function lastAxisOnly(node: GraphNode, graph: OnnxGraph): boolean {
  const axis = (a: number) => a === -1 || a === 2;
  switch (node.op) {
    case 'LayerNormalization':
    case 'Softmax':
      return axis(node.attrs.int('axis', -1));
    case 'ReduceMean': {
      const axes = node.inputs[1] ? graph.constants.get(node.inputs[1])?.data : node.attrs.ints('axes');
      return axes !== undefined && axes.length === 1 && axis(axes[0]);
    }
    case 'MatMul': {
      // Tokens × a constant matrix: a linear layer, token by token.
      const b = node.inputs[1] ? graph.constants.get(node.inputs[1]) : undefined;
      return b !== undefined && b.shape.length === 2;
    }
    default:
      return false;
  }
}

/** `x[:, 0]`: a Gather or Slice that keeps only the first token. */
function takesFirstToken(node: GraphNode, name: string, graph: OnnxGraph): boolean {
  if (node.inputs[0] !== name) return false;
  const constant = (i: string | undefined) => (i ? graph.constants.get(i)?.data : undefined);
  if (node.op === 'Gather') {
    const index = constant(node.inputs[1]);
    return node.attrs.int('axis', 0) === 1 && index?.length === 1 && index[0] === 0;
  }
  if (node.op === 'Slice') {
    const [starts, ends, axes] = [constant(node.inputs[1]), constant(node.inputs[2]), constant(node.inputs[3])];
    return starts?.length === 1 && starts[0] === 0 && ends?.[0] === 1 && axes?.length === 1 && axis1(axes[0]);
  }
  return false;
}

const axis1 = (a: number) => a === 1 || a === -2;

/**
 * Which token tensors reach the output only through their first token (the class token): after
 * the last attention, ViT's blocks work token by token up to `x[:, 0]`, so their patch tokens get
 * no gradient and are no target for layer methods (pytorch-grad-cam explains ViTs at the last
 * block's first norm for this reason). Decided from the graph's structure, not from values.
 */
export function classTokenOnlyValues(graph: OnnxGraph): (name: string) => boolean {
  const readers = new Map<string, GraphNode[]>();
  for (const n of graph.nodes) for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const memo = new Map<string, boolean>();
  const only = (name: string): boolean => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    memo.set(name, false); // cycles cannot happen in a sorted graph; this guards anyway
    const list = readers.get(name) ?? [];
    const answer =
      !outputs.has(name) &&
      list.length > 0 &&
      list.every(
        (n) =>
          takesFirstToken(n, name, graph) ||
          ((POSITION_WISE.has(n.op) || lastAxisOnly(n, graph)) && n.outputs.filter(Boolean).every(only)),
      );
    memo.set(name, answer);
    return answer;
  };
  return only;
}
