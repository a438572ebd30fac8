import { XaiError, listForMessage } from '../errors.js';
import type { LayerInfo } from '../classifier.js';

/** Finds a layer by name, or throws an error listing the layers that would work, with shapes. */
export function findLayer<T extends { info: LayerInfo }>(layers: readonly T[], name: string): T {
  const found = layers.find((l) => l.info.name === name);
  if (found) return found;
  throw unknownLayer(name, layers.map((l) => l.info));
}

export function unknownLayer(name: string, layers: readonly LayerInfo[]): XaiError {
  const targets = layers.filter((l) => l.camTarget).map((l) => `${l.name} [${l.shape.join('×')}]`);
  return new XaiError(`Unknown layer "${name}". Layers with a 4-D output: ${listForMessage(targets)}`);
}

export function requireCamTarget(layer: LayerInfo, layers: readonly LayerInfo[]): void {
  if (layer.camTarget) return;
  const targets = layers.filter((l) => l.camTarget).map((l) => `${l.name} [${l.shape.join('×')}]`);
  throw new XaiError(
    `Layer "${layer.name}" has output shape [${layer.shape.join('×')}], not a 4-D feature map. ` +
      `Layers with a 4-D output: ${listForMessage(targets)}`,
  );
}

/** The last feature-map layer before the first global pooling (or flatten), else the last one. */
export function lastFeatureMapBeforePooling(layers: readonly LayerInfo[], isPooling: (l: LayerInfo) => boolean): string {
  const poolIndex = layers.findIndex(isPooling);
  const before = poolIndex >= 0 ? layers.slice(0, poolIndex) : layers;
  const candidates = before.filter((l) => l.camTarget);
  const chosen = candidates[candidates.length - 1] ?? layers.filter((l) => l.camTarget).pop();
  if (!chosen) throw new XaiError('The model has no layer with a 4-D output, so Abs-CAM has nothing to use');
  return chosen.name;
}
