import type { SaliencyMap } from '@xai/core';
import { state } from './state.js';

function plainMap(map: SaliencyMap) {
  const { attribution } = map;
  return {
    method: map.method,
    classIndex: map.classIndex,
    height: map.height,
    width: map.width,
    params: map.params,
    data: Array.from(map.data),
    ...(attribution ? { attribution: { data: Array.from(attribution.data), channels: attribution.channels } } : {}),
  };
}

/**
 * `window.xaiPlayground.snapshot()`: the page's results as plain JSON, so browser tests can check
 * the numbers (maps, curves, the pixels sent to the model) against a run in Node.
 */
export function exposeTestHook(): void {
  const snapshot = () => ({
    backend: state.backend?.id,
    backendInfo: state.backend,
    preprocessing: state.model && { text: state.model.preprocessing, applied: state.model.applied },
    steps: state.prediction?.steps,
    methods: state.methods.map((m) => ({ id: m.id, label: m.label, box: m.box, layers: m.layers, params: m.params.map((p) => p.name) })),
    model: state.model && {
      name: state.model.name,
      input: state.model.input,
      numClasses: state.model.numClasses,
      whiteBox: state.model.whiteBox,
      defaultLayer: state.model.defaultLayer,
      engine: state.model.engine,
      passes: state.model.passes,
      gradients: state.model.gradients,
    },
    image: state.image && { width: state.image.width, height: state.image.height, channels: state.image.channels, data: Array.from(state.image.data) },
    top: state.prediction?.top,
    explained: state.explained && { method: state.explained.method, gradients: state.explained.gradients, seconds: state.explained.seconds, maps: state.explained.maps.map(plainMap) },
    curves: state.curves,
    compared: state.compared.map((m) => m.id),
    comparison: state.comparison.map((e) => ({ map: plainMap(e.map), curves: e.curves })),
  });
  (globalThis as { xaiPlayground?: unknown }).xaiPlayground = { snapshot };
}
