import { XaiError, defaultFeatureLayerOrNone, layerHandle, listForMessage, unknownLayer, type WhiteBoxClassifier, type LayerHandle, type LayerInfo } from '@xai/core';
import { classTokenOnlyValues } from './class-token.js';
import type { OnnxGraph } from './graph.js';
import { featureMapShape, isFeatureMap, tokenGrid } from './layer-view.js';
import { moduleOutputs, modulePaths } from './scopes.js';
import type { ValueRecord } from './shape-pass.js';

/**
 * The layers of an ONNX model by the names a user gives: PyTorch module paths (`layer4`,
 * `features.18`) — a module whose nodes produce one tensor read outside it — and raw tensor names.
 */
export class LayerIndex {
  private modules?: Map<string, string[]>;
  private classTokenOnly?: (name: string) => boolean;

  constructor(
    private readonly graph: OnnxGraph,
    private readonly records: Map<string, ValueRecord>,
    private readonly inputName: string,
    private readonly outputName: string,
    /** The model, for the default layer named in messages. */
    private readonly owner: Pick<WhiteBoxClassifier, 'layers' | 'resolveLayer'>,
  ) {}

  /** Every layer, in forward order. */
  layers(): LayerInfo[] {
    const list: (LayerInfo & { order: number })[] = [];
    for (const [path, tensors] of this.moduleMap()) {
      if (tensors.length !== 1) continue;
      const r = this.records.get(tensors[0]);
      if (!r || r.host) continue;
      list.push({ ...this.layerInfo(path, tensors[0], r), order: r.order });
    }
    // Tensors made outside any module (functional calls such as DenseNet's final F.relu, or
    // every tensor of an export without scopes) are listed by their raw names.
    const scoped = list.length > 0;
    for (const [name, r] of this.records) {
      if (r.host || r.order < 0) continue;
      const producer = this.graph.producers.get(name);
      if (scoped && producer && modulePaths(producer.name).length > 0) continue;
      list.push({ ...this.layerInfo(name, name, r), order: r.order });
    }
    list.sort((a, b) => a.order - b.order || a.name.split('.').length - b.name.split('.').length);
    return list.map(({ order: _order, ...info }) => info);
  }

  /** Maps a module path or a raw tensor name to a handle on the tensor it names. */
  resolve(layer: string): LayerHandle {
    const tensors = this.moduleMap().get(layer);
    let tensorName: string | undefined;
    if (tensors && tensors.length === 1) tensorName = tensors[0];
    else if (tensors && tensors.length > 1) {
      throw new XaiError(`module "${layer}" has ${tensors.length} outputs (${listForMessage(tensors)}); name one of these tensors instead`);
    } else if (this.records.has(layer) && layer !== this.inputName) tensorName = layer;
    const record = tensorName ? this.records.get(tensorName) : undefined;
    if (!tensorName || !record || record.host) throw unknownLayer(layer, this.layers(), defaultFeatureLayerOrNone(this.owner));
    const info = this.layerInfo(layer, tensorName, record);
    return layerHandle(layer, info, featureMapShape(record.view, record.shape));
  }

  /** The record of a layer that reads as a feature map, else an error saying what does. */
  featureRecord(layer: LayerHandle): ValueRecord {
    const record = this.records.get(layer.output);
    if (!record || record.host) throw unknownLayer(layer.name, this.layers());
    if (record.view.kind === 'other') {
      throw new XaiError(
        `layer "${layer.name}" has shape [${record.shape.join(', ')}]; activations and gradients come from 4-D feature maps, [1, T, D] tokens with T or T − 1 a square (transformers), and 2-D outputs`,
      );
    }
    return record;
  }

  /** What `layers()` lists for a value; token maps carry their grid. */
  private layerInfo(name: string, output: string, r: ValueRecord): LayerInfo {
    const grid = tokenGrid(r.view, r.shape);
    const camTarget = isFeatureMap(r.view) && !(r.view.kind === 'tokens' && r.view.classToken && this.onlyClassTokenRead(output));
    return { name, shape: r.shape.slice(1), kind: r.op, camTarget, output, ...(grid ? { tokenGrid: grid } : {}) };
  }

  /** True for token tensors that reach the logits only through their class token (see `classTokenOnlyValues`). */
  private onlyClassTokenRead(name: string): boolean {
    this.classTokenOnly ??= classTokenOnlyValues(this.graph);
    return this.classTokenOnly(name);
  }

  private moduleMap(): Map<string, string[]> {
    this.modules ??= moduleOutputs(this.graph.nodes, [this.outputName]);
    return this.modules;
  }
}
