import * as tf from '@tensorflow/tfjs-core';
import type { InputSpec } from '@xai/core';
import type { OnnxGraph } from './graph.js';
import type { Value } from './ir.js';
import { layerView, type LayerView } from './layer-view.js';
import { TO_NCHW } from './ops/context.js';

/** What the shape pass learns of one value. */
export interface ValueRecord {
  /** ONNX (logical) shape at the batch unit (1, or the model's fixed batch). */
  shape: number[];
  nhwc: boolean;
  host: boolean;
  /** Position of the producing node (−1: the input). */
  order: number;
  op: string;
  /** How the value reads as a feature map (NCHW, channels-last, tokens). */
  view: LayerView;
}

/**
 * The shape pass: every value's ONNX shape for a zero batch of the batch unit, on the tfjs graph
 * (one forward pass, intermediate tensors freed as it goes).
 */
export function measureValues(graph: OnnxGraph, input: Value, outputName: string, batchUnit: number, spec: InputSpec): Map<string, ValueRecord> {
  const records = new Map<string, ValueRecord>();
  const order = new Map<string, { order: number; op: string }>();
  graph.nodes.forEach((n, i) => n.outputs.forEach((o) => o && order.set(o, { order: i, op: n.op })));
  tf.tidy(() => {
    graph.run(input, {
      eager: true,
      fetch: [outputName],
      onValue: (name, v) => {
        const shape = v.kind === 'host' ? v.h.shape : v.nhwc ? TO_NCHW.map((a) => v.t.shape[a]) : v.t.shape;
        const o = order.get(name) ?? { order: -1, op: 'Input' };
        const nhwc = v.kind === 'tensor' && v.nhwc;
        records.set(name, { shape: [...shape], nhwc, host: v.kind === 'host', ...o, view: layerView(shape, nhwc, batchUnit, spec) });
      },
    });
  });
  return records;
}
