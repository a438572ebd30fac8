import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '@xai/core';
import { tensorFromProto, type ExternalDataReader, type HostTensor } from './host.js';
import { Attributes, describeNode, type GraphNode, type Value } from './ir.js';
import { disposePrepared } from './ops/conv.js';
import { hostToTensor, makeContext, type OpContext } from './ops/context.js';
import { FOLDABLE_OPS, OPS, SUPPORTED_OPS } from './ops/registry.js';
import { defaultOpset, toNumber, type ModelProto, type ValueInfoProto } from './proto.js';

/** A graph input or output as declared: element type and dims (a string for a named dynamic dim). */
export interface DeclaredValue {
  name: string;
  elemType: number;
  dims: (number | string | undefined)[] | undefined;
}

export interface RunOptions {
  /** Names whose values to return (default: the graph outputs). */
  fetch?: readonly string[];
  /**
   * `exact` (default) runs every node as exported; `fast` fuses each Conv with the Relu/Clip(0, 6)
   * that alone reads it (forward only: the Conv's own output is not computed).
   */
  plan?: 'exact' | 'fast';
  /** Free intermediate tensors as soon as their last reader ran (not inside gradients). */
  eager?: boolean;
  /** Called with each value as it is produced; may return a replacement (gradient injection). */
  onValue?: (name: string, value: Value) => Value | void;
  /**
   * Values taken as computed (e.g. a layer's output replaced by other activations): nodes needed
   * only to produce them are skipped. The caller owns these values.
   */
  given?: ReadonlyMap<string, Value>;
  /** Gradients will be taken through the outputs (see `OpContext.differentiable`). */
  differentiable?: boolean;
}

/**
 * The graph uses operators the tfjs graph does not implement. It carries what was read of the
 * model's interface, so onnxruntime can still run it as a black box.
 */
export class UnsupportedOperatorsError extends XaiError {
  constructor(
    /** The missing operator types (`Celu`, `com.microsoft.FusedConv`). */
    readonly operators: readonly string[],
    described: readonly string[],
    readonly input: DeclaredValue,
    readonly outputs: readonly DeclaredValue[],
    readonly opset: number,
  ) {
    super(`the model uses operators the tfjs graph does not implement: ${described.join(', ')}. Supported: ${SUPPORTED_OPS.join(', ')}`);
    this.name = 'UnsupportedOperatorsError';
  }
}

interface Plan {
  nodes: GraphNode[];
  lastUse: Map<string, number>;
}

const MAX_NODES = 1_000_000;

export interface GraphOptions {
  /**
   * `image` (default): the graph has one 4-D float input, as a classifier has, fed to `run`.
   * `any`: any number of inputs of any shape and type, fed by name to `runFeeds` (operator
   * conformance tests run ONNX's single-node models this way).
   */
  inputs?: 'image' | 'any';
}

/** An ONNX graph ready to run on tfjs: constants folded, weights converted, in execution order. */
export class OnnxGraph {
  readonly opset: number;
  /**
   * The image input. A graph made with `inputs: 'any'` has none: this is then its first input
   * (a nameless placeholder when it declares no input).
   */
  readonly input: DeclaredValue;
  /** Every declared input that is not an initializer (the image input alone by default). */
  readonly inputs: readonly DeclaredValue[];
  readonly outputs: DeclaredValue[];
  /** Nodes to run, in order. */
  nodes: GraphNode[];
  /** Node-produced or declared value names → the node that produces them (for layer scopes). */
  readonly producers = new Map<string, GraphNode>();
  readonly constants = new Map<string, HostTensor>();
  private readonly constTensors = new Map<HostTensor, tf.Tensor>();
  private readonly derived = new Map<unknown, tf.Tensor>();
  private lastUse = new Map<string, number>();
  private fast?: Plan;
  /** Plans pruned for given values, by plan kind, given names and fetched names. */
  private pruned = new Map<string, Plan>();
  private disposed = false;

  constructor(model: ModelProto, readExternal?: ExternalDataReader, options: GraphOptions = {}) {
    const graph = model.graph!;
    this.opset = defaultOpset(model);
    const rawNodes = graph.node ?? [];
    if (rawNodes.length > MAX_NODES) throw new XaiError(`the graph has ${rawNodes.length} nodes, more than ${MAX_NODES}`);

    for (const init of graph.initializer ?? []) {
      if (!init.name) throw new XaiError('an initializer has no name');
      this.constants.set(init.name, tensorFromProto(init, readExternal));
    }
    const declaredInputs = (graph.input ?? []).filter((i) => i.name && !this.constants.has(i.name)).map(declared);
    this.inputs = declaredInputs;
    if (options.inputs === 'any') {
      this.input = declaredInputs[0] ?? { name: '', elemType: 0, dims: [] };
    } else {
      this.input = imageInput(declaredInputs);
    }
    this.outputs = (graph.output ?? []).map(declared);
    if (this.outputs.length === 0) throw new XaiError('the model declares no output');

    const unsupported = new Map<string, string>();
    this.nodes = rawNodes.map((n, index) => {
      const op = n.opType ?? '';
      const domain = n.domain ?? '';
      const node: GraphNode = {
        index,
        name: n.name ?? '',
        op,
        inputs: [...(n.input ?? [])],
        outputs: [...(n.output ?? [])],
        attrs: new Attributes(n.attribute ?? []),
      };
      if ((domain !== '' && domain !== 'ai.onnx') || !OPS[op]) {
        const type = `${domain && domain !== 'ai.onnx' ? `${domain}.` : ''}${op || '(no op type)'}`;
        if (!unsupported.has(type)) unsupported.set(type, `${type} (node "${node.name || `#${index}`}")`);
      }
      return node;
    });
    if (unsupported.size > 0) throw new UnsupportedOperatorsError([...unsupported.keys()], [...unsupported.values()], this.input, this.outputs, this.opset);
    this.nodes = this.sorted(this.nodes);
    for (const n of this.nodes) for (const o of n.outputs) if (o) this.producers.set(o, n);
    for (const o of this.outputs) {
      if (!this.producers.has(o.name) && !this.constants.has(o.name) && !this.inputs.some((i) => i.name === o.name)) {
        throw new XaiError(`the output "${o.name}" is produced by no node`);
      }
    }
    this.foldConstants();
    this.prepare();
    this.computeLastUse();
  }

  /** Orders nodes so each runs after what it reads; rejects cycles and undefined inputs. */
  private sorted(nodes: GraphNode[]): GraphNode[] {
    const available = new Set<string>([...this.inputs.map((i) => i.name), ...this.constants.keys(), '']);
    const pending = new Map<string, GraphNode[]>();
    const waiting = new Map<GraphNode, number>();
    const producedBy = new Set(nodes.flatMap((n) => n.outputs));
    const order: GraphNode[] = [];
    const ready: GraphNode[] = [];
    for (const n of nodes) {
      const missing = new Set(n.inputs.filter((i) => !available.has(i)));
      for (const i of missing) {
        if (!producedBy.has(i)) throw new XaiError(`${describeNode(n)} reads "${i}", which no node, input or initializer defines`);
        pending.set(i, [...(pending.get(i) ?? []), n]);
      }
      waiting.set(n, missing.size);
      if (missing.size === 0) ready.push(n);
    }
    while (ready.length > 0) {
      const n = ready.shift()!;
      order.push(n);
      for (const o of n.outputs) {
        if (!o || available.has(o)) continue;
        available.add(o);
        for (const m of pending.get(o) ?? []) {
          const left = waiting.get(m)! - 1;
          waiting.set(m, left);
          if (left === 0) ready.push(m);
        }
      }
    }
    if (order.length !== nodes.length) throw new XaiError('the graph has a cycle (some nodes depend on their own outputs)');
    return order;
  }

  private context(node: GraphNode, differentiable = false): OpContext {
    return makeContext(node, this.opset, (h) => this.constant(h), (key, make) => this.cached(key, make), differentiable);
  }

  /** A tensor derived from constants (an NHWC copy, a divisor map), made once and kept. */
  cached(key: unknown, make: () => tf.Tensor): tf.Tensor {
    // A host value computed at run time is not the graph's to keep (it would pile up run after run).
    if (typeof key === 'object' && key !== null && 'data' in key && !this.isConstant(key as HostTensor)) return make();
    let t = this.derived.get(key);
    if (!t || t.isDisposed) {
      t = tf.keep(tf.tidy(make));
      this.derived.set(key, t);
    }
    return t;
  }

  /** A constant as a kept tfjs tensor, made once. */
  constant(h: HostTensor): tf.Tensor {
    if (!this.isConstant(h)) return hostToTensor(h);
    let t = this.constTensors.get(h);
    if (!t || t.isDisposed) {
      t = tf.keep(hostToTensor(h));
      this.constTensors.set(h, t);
    }
    return t;
  }

  private constantSet?: Set<HostTensor>;

  /** True for the graph's own constants (initializers and folded values), which it keeps on the backend. */
  private isConstant(h: HostTensor): boolean {
    if (this.constantSet) return this.constantSet.has(h);
    for (const c of this.constants.values()) if (c === h) return true;
    return false;
  }

  /** Evaluates, at load, every foldable node whose inputs are all constants, and drops it. */
  private foldConstants(): void {
    const kept: GraphNode[] = [];
    for (const node of this.nodes) {
      const inputs = node.inputs.map((i) => (i ? this.constants.get(i) : undefined));
      const allConst = node.inputs.every((i, k) => !i || inputs[k] !== undefined);
      if (FOLDABLE_OPS.has(node.op) && allConst) {
        const outs = OPS[node.op].run(this.context(node), inputs.map((h) => (h ? { kind: 'host' as const, h } : undefined)));
        if (outs.every((v) => v.kind === 'host')) {
          node.outputs.forEach((name, k) => name && this.constants.set(name, (outs[k] as { h: HostTensor }).h));
          continue;
        }
        for (const v of outs) if (v.kind === 'tensor') v.t.dispose();
      }
      kept.push(node);
    }
    this.nodes = kept;
    this.removeDead();
  }

  /** Drops nodes whose outputs nothing reads. */
  removeDead(): void {
    const needed = new Set(this.outputs.map((o) => o.name));
    const live: GraphNode[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (n.outputs.some((o) => o && needed.has(o))) {
        live.push(n);
        for (const inp of n.inputs) if (inp) needed.add(inp);
      }
    }
    this.nodes = live.reverse();
    for (const name of [...this.constants.keys()]) if (!needed.has(name)) this.constants.delete(name);
  }

  private prepare(): void {
    try {
      this.prepareNodes();
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  private prepareNodes(): void {
    for (const node of this.nodes) {
      const def = OPS[node.op];
      if (!def.prepare) continue;
      const inputs = node.inputs.map((i) => {
        const h = i ? this.constants.get(i) : undefined;
        return h ? ({ kind: 'host', h } as Value) : i ? ({ kind: 'tensor' } as unknown as Value) : undefined;
      });
      node.prepared = def.prepare(this.context(node), inputs);
    }
  }

  computeLastUse(): void {
    this.constantSet = new Set(this.constants.values());
    this.lastUse = lastUses(this.nodes);
    this.fast = undefined;
    this.pruned.clear();
  }

  /** The forward-only plan with activations fused into convolutions (made on first use). */
  private fastPlan(): Plan {
    if (this.fast) return this.fast;
    const readers = new Map<string, GraphNode[]>();
    for (const n of this.nodes) for (const i of n.inputs) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
    const outputs = new Set(this.outputs.map((o) => o.name));
    const absorbed = new Set<GraphNode>();
    const nodes: GraphNode[] = [];
    for (const n of this.nodes) {
      if (absorbed.has(n)) continue;
      const out = n.outputs[0];
      const next = n.op === 'Conv' && n.outputs.length === 1 && !outputs.has(out) ? readers.get(out) : undefined;
      const act = next?.length === 1 ? activationOf(next[0], this.opset, this.constants) : undefined;
      if (next && act && next[0].outputs.length === 1) {
        absorbed.add(next[0]);
        nodes.push({ ...n, outputs: next[0].outputs, activation: act });
      } else nodes.push(n);
    }
    this.fast = { nodes, lastUse: lastUses(nodes) };
    return this.fast;
  }

  private prunedPlan(full: Plan, kind: string, given: ReadonlyMap<string, Value>, fetch: ReadonlySet<string>): Plan {
    const key = `${kind}|${[...given.keys()].sort().join(',')}|${[...fetch].sort().join(',')}`;
    let plan = this.pruned.get(key);
    if (!plan) this.pruned.set(key, (plan = pruneFor(full, new Set(given.keys()), fetch)));
    return plan;
  }

  /**
   * Runs the graph. `input` is the image batch as a Value (NHWC tensors are tagged). Returns the
   * fetched values; with `eager`, every other intermediate tensor is disposed.
   */
  run(input: Value, options: RunOptions = {}): Map<string, Value> {
    return this.execute(new Map([[this.input.name, input]]), options);
  }

  /**
   * Runs the graph with every declared input fed by name (a graph made with `inputs: 'any'`).
   * The caller keeps the fed values: `eager` never disposes them.
   */
  runFeeds(feeds: ReadonlyMap<string, Value>, options: RunOptions = {}): Map<string, Value> {
    const missing = this.inputs.filter((i) => !feeds.has(i.name)).map((i) => `"${i.name}"`);
    if (missing.length > 0) throw new XaiError(`the input${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'were' : 'was'} not fed`);
    const unknown = [...feeds.keys()].filter((name) => !this.inputs.some((i) => i.name === name)).map((name) => `"${name}"`);
    if (unknown.length > 0) {
      throw new XaiError(`${unknown.join(', ')} ${unknown.length > 1 ? 'are not inputs' : 'is not an input'} of the graph (its inputs: ${this.inputs.map((i) => i.name).join(', ') || 'none'})`);
    }
    return this.execute(feeds, options);
  }

  private execute(feeds: ReadonlyMap<string, Value>, options: RunOptions): Map<string, Value> {
    if (this.disposed) throw new XaiError('the model has been disposed');
    const fetch = new Set(options.fetch ?? this.outputs.map((o) => o.name));
    const full = options.plan === 'fast' ? this.fastPlan() : { nodes: this.nodes, lastUse: this.lastUse };
    const given = options.given ?? new Map<string, Value>();
    const plan = given.size ? this.prunedPlan(full, options.plan ?? 'exact', given, fetch) : full;
    const env = new Map<string, Value>(given);
    const set = (name: string, value: Value) => {
      if (given.has(name)) return;
      const replaced = options.onValue?.(name, value);
      env.set(name, replaced ?? value);
    };
    for (const [name, value] of feeds) set(name, value);
    const get = (name: string): Value | undefined => {
      if (!name) return undefined;
      const v = env.get(name);
      if (v) return v;
      const h = this.constants.get(name);
      return h ? { kind: 'host', h } : undefined;
    };
    try {
      plan.nodes.forEach((node, index) => {
        const inputs = node.inputs.map(get);
        const exec = () => {
          const outs = OPS[node.op].run(this.context(node, options.differentiable), inputs);
          // An output that is an input tensor (Identity) gets its own handle, so freeing one keeps the other.
          return outs.map((o) => (o.kind === 'tensor' && inputs.some((i) => i?.kind === 'tensor' && i.t === o.t) ? { ...o, t: o.t.clone() } : o));
        };
        let outs: Value[] = [];
        if (options.eager) {
          tf.tidy(() => {
            outs = exec();
            return outs.flatMap((v) => (v.kind === 'tensor' ? [v.t] : []));
          });
        } else outs = exec();
        node.outputs.forEach((name, k) => {
          if (!name) return;
          const v = outs[k];
          if (!v) throw new XaiError(`${describeNode(node)} produced no output ${k}`);
          set(name, v);
        });
        if (options.eager) {
          for (const name of node.inputs) {
            if (name && plan.lastUse.get(name) === index && !fetch.has(name) && !feeds.has(name) && !given.has(name)) {
              const v = env.get(name);
              if (v?.kind === 'tensor') v.t.dispose();
              env.delete(name);
            }
          }
          node.outputs.forEach((name) => {
            if (name && !plan.lastUse.has(name) && !fetch.has(name)) {
              const v = env.get(name);
              if (v?.kind === 'tensor') v.t.dispose();
              env.delete(name);
            }
          });
        }
      });
    } catch (error) {
      if (options.eager) for (const [name, v] of env) if (v.kind === 'tensor' && !feeds.has(name) && !given.has(name)) v.t.dispose();
      throw error instanceof XaiError ? error : new XaiError(`running the ONNX graph failed: ${(error as Error).message}`, { cause: error });
    }
    const out = new Map<string, Value>();
    for (const name of fetch) {
      const v = get(name);
      if (!v) throw new XaiError(`"${name}" was not computed`);
      out.set(name, v);
    }
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.constTensors.values()) t.dispose();
    this.constTensors.clear();
    for (const t of this.derived.values()) t.dispose();
    this.derived.clear();
    for (const n of this.nodes) disposePrepared(n.prepared);
  }
}

/** The nodes of `plan` that `fetch` needs when the `given` values are known, in order. */
function pruneFor(plan: Plan, given: ReadonlySet<string>, fetch: ReadonlySet<string>): Plan {
  const producer = new Map<string, GraphNode>();
  for (const n of plan.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const needed = new Set<GraphNode>();
  const pending = [...fetch];
  const seen = new Set<string>();
  while (pending.length) {
    const name = pending.pop()!;
    if (seen.has(name) || given.has(name)) continue;
    seen.add(name);
    const node = producer.get(name);
    if (!node || needed.has(node)) continue;
    needed.add(node);
    for (const i of node.inputs) if (i) pending.push(i);
  }
  const nodes = plan.nodes.filter((n) => needed.has(n));
  return { nodes, lastUse: lastUses(nodes) };
}

function lastUses(nodes: readonly GraphNode[]): Map<string, number> {
  const last = new Map<string, number>();
  nodes.forEach((n, i) => n.inputs.forEach((name) => name && last.set(name, i)));
  return last;
}

/** The activation a node applies, when a convolution can absorb it. */
function activationOf(node: GraphNode, opset: number, constants: Map<string, HostTensor>): 'relu' | 'relu6' | undefined {
  if (node.op === 'Relu') return 'relu';
  if (node.op !== 'Clip') return undefined;
  const bound = (i: number, attr: string, fallback: number) => {
    if (opset < 11) return node.attrs.float(attr, fallback);
    const name = node.inputs[i];
    if (!name) return fallback;
    const h = constants.get(name);
    return h && h.data.length === 1 ? h.data[0] : NaN;
  };
  return bound(1, 'min', -Infinity) === 0 && bound(2, 'max', Infinity) === 6 ? 'relu6' : undefined;
}

/** The one 4-D float input a classifier has; anything else is refused with the inputs listed. */
function imageInput(declaredInputs: DeclaredValue[]): DeclaredValue {
  if (declaredInputs.length === 0) throw new XaiError('the model declares no input (every graph input is an initializer)');
  const images = declaredInputs.filter((i) => i.dims?.length === 4);
  if (images.length !== 1 || declaredInputs.length !== 1) {
    const list = declaredInputs.map((i) => `${i.name} [${i.dims?.map((d) => d ?? '?').join(', ') ?? 'unknown rank'}]`).join('; ');
    throw new XaiError(
      images.length === 0
        ? `the model has no 4-D image input (N, C, H, W); its inputs are: ${list}`
        : `the model has ${declaredInputs.length} inputs (${list}); only models with one 4-D image input are supported`,
    );
  }
  const input = images[0];
  if (input.elemType !== 1) throw new XaiError(`the input "${input.name}" has element type ${input.elemType}; only float32 inputs are supported`);
  return input;
}

function declared(v: ValueInfoProto): DeclaredValue {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim?.map((d) =>
    (d as { value?: string }).value === 'dimValue' ? toNumber(d.dimValue) : d.dimParam || undefined,
  );
  return { name: v.name ?? '', elemType: tt?.elemType ?? 0, dims: tt?.shape ? dims : undefined };
}

