import { checkParameterLayers, shuffledWeights, XaiError } from '@xai/core';
import { DTYPE, tensorFromProto, type ExternalDataReader } from './host.js';
import { onnx, type ModelProto, type NodeProto, type TensorProto } from './proto.js';
import { modulePaths } from './scopes.js';

/** A node that reads weights, named as the sanity checks name it. */
export interface WeightedNode {
  /** The node's innermost PyTorch module path (`layer4.1.conv2`, `fc`) when no other weighted node shares it, else the node's name. */
  name: string;
  node: NodeProto;
  /** Its float initializers of more than one value (kernel, bias, a batch norm's scale…), in input order. */
  initializers: TensorProto[];
}

/** Nodes that read float initializers of more than one value, in the model's node order. */
export function weightedNodes(model: ModelProto): WeightedNode[] {
  const graph = model.graph!;
  const byName = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  const found = (graph.node ?? []).flatMap((node, index) => {
    const initializers = (node.input ?? []).flatMap((i) => {
      const t = byName.get(i);
      const size = (t?.dims ?? []).reduce<number>((n, d) => n * Number(d), 1);
      return t && t.dataType === DTYPE.FLOAT && size > 1 ? [t] : [];
    });
    return initializers.length ? [{ node, index, initializers }] : [];
  });
  const module = (node: NodeProto) => modulePaths(node.name ?? '').at(-1);
  const counts = new Map<string, number>();
  for (const f of found) {
    const path = module(f.node);
    if (path) counts.set(path, (counts.get(path) ?? 0) + 1);
  }
  return found.map(({ node, index, initializers }) => {
    const path = module(node);
    const name = path && counts.get(path) === 1 ? path : node.name || `#${index} ${node.opType}`;
    return { name, node, initializers };
  });
}

/**
 * The bytes of a copy of an ONNX model whose `layers` (names from `weightedNodes`) have their
 * float initializers re-initialised by `shuffledWeights` and stored inline; every other byte of
 * the model means what it meant. The bytes given are not changed.
 */
export function randomisedModelBytes(bytes: Uint8Array, layers: readonly string[], seed: number, readExternal?: ExternalDataReader): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const nodes = weightedNodes(model);
  checkParameterLayers(layers, nodes.map((n) => n.name));
  const done = new Set<TensorProto>();
  for (const name of layers) {
    const { initializers } = nodes.find((n) => n.name === name)!;
    initializers.forEach((t, i) => {
      // An initializer two layers read is re-initialised once, by the first that names it.
      if (done.has(t)) return;
      done.add(t);
      const values = tensorFromProto(t, readExternal).data;
      if (!(values instanceof Float32Array)) throw new XaiError(`the initializer "${t.name}" is not float32`);
      const shuffled = shuffledWeights(values, seed, name, i);
      t.rawData = new Uint8Array(shuffled.buffer, shuffled.byteOffset, shuffled.byteLength);
      t.floatData = [];
      t.externalData = [];
      t.dataLocation = 0;
    });
  }
  return onnx.ModelProto.encode(model).finish();
}
