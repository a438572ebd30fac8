import { XaiError } from '@xai/core';
import { Attributes } from '../ir.js';
import { defaultOpset, toNumber, type ModelProto, type NodeProto } from '../proto.js';
import { Emitter } from './emitter.js';

/** The opset a gradient graph is written at: ScatterElements' `reduction` (16) and LayerNormalization (17). */
export const GRADIENT_OPSET = 17;
/** The oldest export the forward part can be carried to that opset from. */
export const OLDEST_OPSET = 11;

/** Operators whose inputs moved from attributes in opset 13: the attribute that became input 1. */
const ATTRIBUTE_TO_INPUT: Record<string, string> = { Squeeze: 'axes', Unsqueeze: 'axes', ReduceSum: 'axes', Split: 'split' };

/** The opset the gradient graph of `model` is written at: `max(GRADIENT_OPSET, its own)`. */
export function gradientOpset(model: ModelProto): number {
  const from = defaultOpset(model);
  if (from < OLDEST_OPSET) {
    throw new XaiError(`the model was exported at opset ${from}; gradient graphs need opset ${OLDEST_OPSET} or later (re-export it with a newer opset_version)`);
  }
  return Math.max(GRADIENT_OPSET, from);
}

/**
 * Carries the forward graph of `model` (in place) to the emitter's opset, so that the
 * gradient nodes can use the newer operators. Only operators of `SUPPORTED_OPS` whose meaning or
 * signature changed between opset 11 and 17 are rewritten: axes and split attributes become
 * inputs, Dropout (inference) becomes Identity, and Softmax / LogSoftmax's old meaning (flatten
 * from `axis`, normalise each row) is written out as Flatten → Softmax → Reshape.
 */
export function upgradeForward(model: ModelProto, emit: Emitter): void {
  const from = defaultOpset(model);
  const graph = model.graph!;
  if (from < 13) {
    const nodes: NodeProto[] = [];
    for (const node of graph.node ?? []) nodes.push(...upgradeNode(node, emit));
    graph.node = nodes;
  }
  model.opsetImport = [...(model.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx'), { domain: '', version: emit.opset }];
  // IR version 8 goes with opset 17.
  model.irVersion = Math.max(toNumber(model.irVersion), 8);
}

function upgradeNode(node: NodeProto, emit: Emitter): NodeProto[] {
  const op = node.opType ?? '';
  const attrs = new Attributes(node.attribute ?? []);
  const moved = ATTRIBUTE_TO_INPUT[op];
  if (moved) {
    const values = attrs.ints(moved);
    const attribute = (node.attribute ?? []).filter((a) => a.name !== moved);
    const input = [...(node.input ?? [])];
    if (values) input[1] = emit.ints(values);
    return [{ ...node, input, attribute }];
  }
  if (op === 'Dropout') return [{ ...node, opType: 'Identity', input: [node.input![0]], output: [node.output![0]], attribute: [] }];
  if (op === 'Softmax' || op === 'LogSoftmax') {
    const axis = attrs.int('axis', 1);
    const x = node.input![0];
    const rows = emit.fresh(`${op}_rows`);
    const normalised = emit.fresh(`${op}_normalised`);
    const shape = emit.fresh(`${op}_shape`);
    return [
      { name: `${node.name}_flatten`, opType: 'Flatten', input: [x], output: [rows], attribute: [{ name: 'axis', type: 2, i: axis }] },
      { name: node.name, opType: op, input: [rows], output: [normalised], attribute: [{ name: 'axis', type: 2, i: -1 }] },
      { name: `${node.name}_shape`, opType: 'Shape', input: [x], output: [shape], attribute: [] },
      { name: `${node.name}_reshape`, opType: 'Reshape', input: [normalised, shape], output: [node.output![0]], attribute: [] },
    ];
  }
  return [node];
}
