import { XaiError, type BackwardRule } from '@xai/core';
import { tensorFromProto, type ExternalDataReader, type HostTensor } from '../host.js';
import { Attributes } from '../ir.js';
import { decodeModel, onnx, type ModelProto, type NodeProto, type ValueInfoProto } from '../proto.js';
import { describe, recipeError, type BackwardContext, type ForwardNode } from './context.js';
import { Emitter } from './emitter.js';
import { recipeFor } from './rules.js';
import { gradientOpset, upgradeForward } from './upgrade.js';

/** What the builder needs to know of the forward model besides its bytes. */
export interface ForwardModel {
  bytes: Uint8Array;
  /** For messages. */
  name: string;
  inputName: string;
  outputName: string;
  /** A value's shape at the batch unit, as the shape pass measured it. */
  shapeOf(name: string): readonly number[] | undefined;
  /** Values known before any image (folded shape arithmetic), besides initializers and Constant nodes. */
  constants?: ReadonlyMap<string, HostTensor>;
  readExternal?: ExternalDataReader;
}

export interface GradientRequest {
  /** Layers (a label for the output names, and the tensor) whose activations and gradients to output. */
  layers?: readonly { label: string; value: string }[];
  /** Also output the gradient with respect to the image input. */
  input?: boolean;
  /** The backward rule (default `gradient`). */
  rule?: BackwardRule;
}

/** The names of a gradient graph's inputs and outputs. */
export interface GradientGraphNames {
  image: string;
  /** `[B, K]`: row b weights the logits of image b (one-hot for a class). */
  seed: string;
  logits: string;
  /** By layer label. */
  activations: Record<string, string>;
  gradients: Record<string, string>;
  /** The gradient with respect to the image, when asked for. */
  inputGradient?: string;
}

export interface GradientGraph {
  bytes: Uint8Array;
  names: GradientGraphNames;
  opset: number;
}

/** Operators whose outputs carry no gradient (integers, booleans, piecewise-constant values). */
const NOT_DIFFERENTIABLE = new Set([
  'Shape', 'Size', 'ConstantOfShape', 'Range', 'Constant', 'Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual',
  'Not', 'And', 'Or', 'Xor', 'Floor', 'Ceil', 'Mod', 'ArgMax', 'ArgMin', 'NonZero', 'Sign', 'Round',
]);

/** The inputs a gradient flows into, where not all of them (shapes, indices, axes are not differentiable). */
const DIFFERENTIABLE_INPUTS: Record<string, readonly number[]> = {
  Reshape: [0], Expand: [0], Slice: [0], Pad: [0], Gather: [0], Squeeze: [0], Unsqueeze: [0], Split: [0],
  ReduceSum: [0], ReduceMean: [0], ReduceMax: [0], ReduceMin: [0], Clip: [0], Where: [1, 2], Resize: [0], Tile: [0],
  Dropout: [0], Flatten: [0], Transpose: [0], Cast: [0], ScatterND: [0, 2],
};

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function tensorValue(name: string, dims?: (number | string)[]): ValueInfoProto {
  const shape = dims ? { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined;
  return { name, type: { tensorType: { elemType: FLOAT, ...(shape ? { shape } : {}) } } };
}

/** Kahn's order over the nodes (exports are usually in order already; this keeps them so). */
function topologicalOrder(nodes: readonly NodeProto[], available: Set<string>): NodeProto[] {
  const producers = new Map<string, number>();
  nodes.forEach((n, i) => n.output?.forEach((o) => o && producers.set(o, i)));
  const order: NodeProto[] = [];
  const done = new Set<number>();
  const visit = (i: number, stack: Set<number>) => {
    if (done.has(i)) return;
    if (stack.has(i)) throw new XaiError('the graph has a cycle (some nodes depend on their own outputs)');
    stack.add(i);
    for (const input of nodes[i].input ?? []) {
      const p = input && !available.has(input) ? producers.get(input) : undefined;
      if (p !== undefined) visit(p, stack);
    }
    stack.delete(i);
    done.add(i);
    order.push(nodes[i]);
  };
  nodes.forEach((_, i) => visit(i, new Set()));
  return order;
}

/**
 * Builds an ONNX model that computes, besides the logits, the vector–Jacobian product seeded per
 * row: inputs the image batch and `seed [B, K]`; outputs the logits, the activations of the
 * requested layers, and the gradients of `Σ_k seed[b, k] · logits[b, k]` at those layers and/or at
 * the image. Only standard ONNX operators (opset ≥ 17); only the nodes between the requested values
 * and the logits are differentiated.
 */
export function buildGradientGraph(forward: ForwardModel, request: GradientRequest): GradientGraph {
  const layers = request.layers ?? [];
  if (layers.length === 0 && !request.input) throw new XaiError('a gradient graph needs at least one layer or the input');
  const rule = request.rule ?? 'gradient';
  const model: ModelProto = decodeModel(forward.bytes, forward.name);
  const graph = model.graph!;
  const opset = gradientOpset(model);
  const emit = new Emitter(opset);
  upgradeForward(model, emit);

  const initializers = new Map((graph.initializer ?? []).map((t) => [t.name!, t]));
  inlineExternalData(graph.initializer ?? [], forward.readExternal);
  const nodes = topologicalOrder(graph.node ?? [], new Set([forward.inputName, ...initializers.keys()]));
  const constantNodes = new Map<string, NodeProto>();
  for (const n of nodes) if (n.opType === 'Constant' && n.output?.[0]) constantNodes.set(n.output[0], n);
  const constantCache = new Map<string, HostTensor | undefined>();
  const constant = (name: string): HostTensor | undefined => {
    if (!constantCache.has(name)) {
      const init = initializers.get(name);
      const node = constantNodes.get(name);
      const value = forward.constants?.get(name) ?? (init ? tensorFromProto(init) : node ? new Attributes(node.attribute ?? []).tensor('value') : undefined);
      constantCache.set(name, value);
    }
    return constantCache.get(name);
  };
  removeEmptyPads(nodes, constant);

  // The values that depend on a requested one (through differentiable inputs) …
  const sources = [...(request.input ? [forward.inputName] : []), ...layers.map((l) => l.value)];
  const dependent = new Set(sources);
  for (const n of nodes) {
    const op = n.opType ?? '';
    if (NOT_DIFFERENTIABLE.has(op)) continue;
    const inputs = DIFFERENTIABLE_INPUTS[op] ?? (n.input ?? []).map((_, i) => i);
    if (inputs.some((i) => n.input?.[i] && dependent.has(n.input[i]))) for (const o of n.output ?? []) if (o) dependent.add(o);
  }
  // … and that the logits depend on: the path the gradient takes.
  const onPath = new Set<string>();
  if (dependent.has(forward.outputName)) onPath.add(forward.outputName);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!(n.output ?? []).some((o) => onPath.has(o))) continue;
    for (const input of n.input ?? []) if (input && dependent.has(input)) onPath.add(input);
  }

  const contributions = new Map<string, string[]>();
  const addGradient = (value: string, g: string) => contributions.set(value, [...(contributions.get(value) ?? []), g]);
  const gradientOf = (value: string): string | undefined => {
    const parts = contributions.get(value);
    if (!parts) return undefined;
    const total = emit.sum(parts);
    contributions.set(value, [total]);
    return total;
  };

  const seedName = uniqueName(graph, 'seed');
  const logitsShape = forward.shapeOf(forward.outputName);
  addGradient(forward.outputName, logitsShape && logitsShape.length === 2 ? seedName : emit.reshapeLike(seedName, forward.outputName));

  for (let i = nodes.length - 1; i >= 0; i--) {
    const proto = nodes[i];
    const outputs = proto.output ?? [];
    if (!outputs.some((o) => onPath.has(o) && contributions.has(o))) continue;
    const op = proto.opType ?? '';
    const node: ForwardNode = { op, name: proto.name ?? '', inputs: proto.input ?? [], outputs, attrs: new Attributes(proto.attribute ?? []) };
    const recipe = recipeFor(rule, op);
    if (!recipe) throw new XaiError(`the gradient graph cannot go back through the ${describe(node)}: ${op} has no backward recipe`);
    const differentiable = DIFFERENTIABLE_INPUTS[op];
    const ctx: BackwardContext = {
      node,
      emit,
      gradOut: (index = 0) => (outputs[index] ? gradientOf(outputs[index]) : undefined),
      wants: (index) => Boolean(node.inputs[index]) && onPath.has(node.inputs[index]) && (!differentiable || differentiable.includes(index)),
      shape: (name) => {
        const shape = forward.shapeOf(name);
        if (!shape) throw recipeError(node, `the shape of "${name}" is unknown`);
        return [...shape];
      },
      constant,
      forwardOutput: (index) => {
        const list = (proto.output ??= []);
        while (list.length <= index) list.push('');
        list[index] ||= `${list[0]}:xai_output_${index}`;
        return list[index];
      },
      fail: (message) => {
        throw recipeError(node, message);
      },
    };
    const grads = recipe(ctx);
    grads.forEach((g, k) => {
      if (g && ctx.wants(k)) addGradient(node.inputs[k], g);
    });
  }

  const names: GradientGraphNames = { image: forward.inputName, seed: seedName, logits: forward.outputName, activations: {}, gradients: {} };
  const outputs: ValueInfoProto[] = [tensorValue(forward.outputName)];
  const expose = (value: string, name: string) => {
    emit.node('Identity', [value], {}, [name]);
    outputs.push(tensorValue(name));
    return name;
  };
  const gradientOrZeros = (value: string) => gradientOf(value) ?? emit.zerosLike(value);
  for (const { label, value } of layers) {
    if (names.activations[label]) continue;
    names.activations[label] = expose(value, `activations:${label}`);
    names.gradients[label] = expose(gradientOrZeros(value), `gradient:${label}`);
  }
  if (request.input) names.inputGradient = expose(gradientOrZeros(forward.inputName), `gradient:${forward.inputName}`);

  graph.node = [...nodes, ...emit.nodes];
  graph.initializer = [...(graph.initializer ?? []), ...emit.initializers];
  graph.input = [...(graph.input ?? []), tensorValue(seedName, ['batch', (logitsShape ?? []).slice(1).reduce((a, b) => a * b, 1)])];
  graph.output = outputs;
  graph.valueInfo = [];
  return { bytes: onnx.ModelProto.encode(model).finish(), names, opset };
}

/**
 * Pads that pad nothing (torch exports one before some average pools) become Identity: onnxruntime's
 * Pad fusion loses the Pad's input when another node also reads it, as a gradient graph's
 * activation output does ("… is not a graph input, initializer, or output of a previous node").
 */
function removeEmptyPads(nodes: NodeProto[], constant: (name: string) => HostTensor | undefined): void {
  for (const node of nodes) {
    if (node.opType !== 'Pad' || !node.input?.[1]) continue;
    const pads = constant(node.input[1]);
    if (!pads || pads.data.some((p) => p !== 0)) continue;
    node.opType = 'Identity';
    node.input = [node.input[0]];
    node.attribute = [];
  }
}

function uniqueName(graph: NonNullable<ModelProto['graph']>, wanted: string): string {
  const taken = new Set<string>([...(graph.input ?? []).map((i) => i.name!), ...(graph.node ?? []).flatMap((n) => n.output ?? [])]);
  let name = wanted;
  for (let i = 1; taken.has(name); i++) name = `${wanted}_${i}`;
  return name;
}

/** Copies external tensor data into the model, so the gradient graph is one self-contained file. */
function inlineExternalData(tensors: NonNullable<ModelProto['graph']>['initializer'] & object, readExternal?: ExternalDataReader): void {
  for (const t of tensors) {
    if (t.dataLocation !== 1) continue;
    const host = tensorFromProto(t, readExternal);
    if (t.dataType === FLOAT) t.rawData = new Uint8Array(Float32Array.from(host.data).buffer);
    else if (t.dataType === onnx.TensorProto.DataType.INT64) t.rawData = new Uint8Array(BigInt64Array.from(host.data, (v) => BigInt(v)).buffer);
    else throw new XaiError(`tensor "${t.name}" keeps its data outside the model with element type ${t.dataType}; only float32 and int64 can be copied into a gradient graph`);
    t.dataLocation = 0;
    t.externalData = [];
  }
}
