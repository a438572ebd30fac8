import * as tf from '@tensorflow/tfjs-core';
import type { OnnxGraph } from './graph.js';
import type { HostTensor } from './host.js';
import type { Value } from './ir.js';
import { logicalShape, makeContext } from './ops/context.js';
import { FOLDABLE_OPS, OPS } from './ops/registry.js';

/**
 * Folds shape arithmetic (Shape → Gather → Unsqueeze → Concat → Reshape, as torch exports
 * `x.view(x.size(0), …)`) at load. The graph runs on a batch of 1 and of 2 (a model with a fixed
 * batch runs at that batch, twice: all its shapes are constants); a Shape entry that
 * differs between the two depends on the batch and is unknown (NaN), every other is a constant.
 * The shape nodes are then evaluated on those partly known values (NaN propagates): fully known
 * results become constants, and a Reshape target with one unknown entry gets −1 there. Whatever
 * cannot be folded keeps running on the host at run time, which is always correct.
 */
export function foldShapeChains(graph: OnnxGraph, zerosInput: (batch: number) => Value, batches: readonly [number, number] = [1, 2]): void {
  const shapeOutputs = new Set(graph.nodes.filter((n) => n.op === 'Shape').flatMap((n) => n.outputs));
  const shapes = [new Map<string, number[]>(), new Map<string, number[]>()];
  const observed = batches.map((batch, run) => {
    const seen = new Map<string, HostTensor>();
    const input = zerosInput(batch);
    try {
      tf.tidy(() => {
        graph.run(input, {
          eager: true,
          onValue: (name, v) => {
            if (v.kind === 'host') seen.set(name, v.h);
            else shapes[run].set(name, logicalShape(v));
          },
        });
      });
    } finally {
      if (input.kind === 'tensor') input.t.dispose();
    }
    return seen;
  });
  const partial = new Map<string, HostTensor>(graph.constants);
  for (const [name, one] of observed[0]) {
    if (!shapeOutputs.has(name)) continue;
    const two = observed[1].get(name);
    if (!two || two.data.length !== one.data.length) continue;
    partial.set(name, { ...one, data: Float64Array.from(one.data, (d, i) => (d === two.data[i] ? d : NaN)) });
  }
  for (const node of graph.nodes) {
    if (node.op === 'Shape' || !FOLDABLE_OPS.has(node.op)) continue;
    if (!node.inputs.every((i) => !i || partial.has(i))) continue;
    try {
      const ctx = makeContext(node, graph.opset, (h) => graph.constant(h), (key, make) => graph.cached(key, make));
      const outs = OPS[node.op].run(ctx, node.inputs.map((i) => (i ? { kind: 'host', h: partial.get(i)! } : undefined)));
      outs.forEach((v, k) => {
        if (v.kind === 'host' && node.outputs[k]) partial.set(node.outputs[k], v.h);
      });
    } catch {
      // Not foldable with what is known: stays a run-time computation.
    }
  }
  const known = (h: HostTensor | undefined) => h !== undefined && !Array.from(h.data).some(Number.isNaN);
  const kept = [];
  for (const node of graph.nodes) {
    const outs = node.outputs.filter(Boolean);
    if (outs.length > 0 && FOLDABLE_OPS.has(node.op) && outs.every((o) => known(partial.get(o)))) {
      for (const o of outs) graph.constants.set(o, partial.get(o)!);
      continue;
    }
    if (node.op === 'Reshape' && node.inputs[1] && !graph.constants.has(node.inputs[1])) {
      const target = partial.get(node.inputs[1]);
      const data = target ? Array.from(target.data) : [];
      // An unknown entry that equals the data's own dynamic dim in both runs is ONNX's 0 (copy).
      const allowZero = node.attrs.int('allowzero', 0) === 1;
      data.forEach((d, i) => {
        const seen = observed.map((o) => o.get(node.inputs[1])?.data[i]);
        const dims = shapes.map((m) => m.get(node.inputs[0])?.[i]);
        if (Number.isNaN(d) && !allowZero && seen[0] === dims[0] && seen[1] === dims[1] && dims[0] !== dims[1]) data[i] = 0;
      });
      const unknown = data.filter(Number.isNaN).length;
      if (target && (unknown === 0 || (unknown === 1 && !data.includes(-1)))) {
        const name = `${node.inputs[1]}::folded`;
        graph.constants.set(name, { dtype: 'int', shape: target.shape, data: Float64Array.from(data, (d) => (Number.isNaN(d) ? -1 : d)) });
        node.inputs[1] = name;
      }
    }
    kept.push(node);
  }
  graph.nodes = kept;
  graph.removeDead();
  graph.computeLastUse();
}
