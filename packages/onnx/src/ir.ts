import type * as tf from '@tensorflow/tfjs-core';
import type { HostTensor } from './host.js';
import { tensorFromProto } from './host.js';
import { toNumber, type AttributeProto } from './proto.js';

/**
 * A value flowing through the graph. Host values are small constants and shape arithmetic;
 * tensor values live on the tfjs backend. A 4-D tensor with `nhwc: true` holds the ONNX (NCHW)
 * tensor transposed to NHWC, the layout tfjs's convolutions and pools use.
 */
export type Value = { kind: 'host'; h: HostTensor } | { kind: 'tensor'; t: tf.Tensor; nhwc: boolean };

export interface GraphNode {
  index: number;
  name: string;
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Attributes;
  /** Weights converted once at load (by the op's `prepare`). */
  prepared?: unknown;
  /** An activation fused into this node (forward-only plan: a Conv followed by its Relu). */
  activation?: 'relu' | 'relu6';
}

export class Attributes {
  private readonly map = new Map<string, AttributeProto>();
  constructor(list: readonly AttributeProto[]) {
    for (const a of list) if (a.name) this.map.set(a.name, a);
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const a = this.map.get(name);
    return a ? toNumber(a.i) : fallback;
  }
  float(name: string, fallback: number): number {
    const a = this.map.get(name);
    return a ? (a.f ?? 0) : fallback;
  }
  ints(name: string): number[] | undefined {
    const a = this.map.get(name);
    return a ? (a.ints ?? []).map(toNumber) : undefined;
  }
  floats(name: string): number[] | undefined {
    const a = this.map.get(name);
    return a ? [...(a.floats ?? [])] : undefined;
  }
  string(name: string, fallback: string): string {
    const a = this.map.get(name);
    if (!a || !a.s) return fallback;
    return new TextDecoder().decode(a.s);
  }
  tensor(name: string): HostTensor | undefined {
    const a = this.map.get(name);
    if (!a?.t) return undefined;
    return tensorFromProto(a.t);
  }
  names(): string[] {
    return [...this.map.keys()];
  }
}

export function describeNode(node: Pick<GraphNode, 'op' | 'name' | 'index'>): string {
  return `${node.op} node "${node.name || `#${node.index}`}"`;
}
