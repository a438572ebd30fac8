import { XaiError, listForMessage } from '../errors.js';
import type { LayerHandle, LayerInfo, WhiteBoxClassifier } from '../classifier.js';

/**
 * A layer name the model does not have. The message names the closest names (by edit distance),
 * the default layer and the number of layers, so a typo is fixed without listing the whole model.
 */
export class UnknownLayerError extends XaiError {
  constructor(
    readonly layer: string,
    readonly closest: readonly string[],
    message: string,
  ) {
    super(message);
    this.name = 'UnknownLayerError';
  }
}

/** `fallback` is the layer methods use when none is named, for the message. */
export function unknownLayer(name: string, layers: readonly LayerInfo[], fallback?: string): UnknownLayerError {
  const closest = closestNames(name, layers.map((l) => l.name));
  const parts = [
    `Unknown layer "${name}".`,
    closest.length ? `Closest: ${closest.join(', ')}.` : '',
    fallback ? `The default layer is ${fallback}.` : '',
    `The model has ${layers.length} layers; \`xai layers\` (or the model's layers()) lists them.`,
  ];
  return new UnknownLayerError(name, closest, parts.filter(Boolean).join(' '));
}


/** The handle of a layer whose output shape is NHWC `[h, w, k]` (or other, when not spatial). */
export function layerHandle(name: string, info: LayerInfo, nhwcShape: readonly number[]): LayerHandle {
  return { name, output: info.output, shape: [...nhwcShape], spatial: info.camTarget && nhwcShape.length === 3, kind: info.kind };
}

/** Throws unless the handle is a 4-D feature map; `who` names the method in the message. */
export function requireFeatureMap(layer: LayerHandle, layers: readonly LayerInfo[], who: string): void {
  if (layer.spatial) return;
  const targets = layers.filter((l) => l.camTarget).map((l) => l.name);
  throw new XaiError(
    `Layer "${layer.name}" has output shape [${layer.shape.join('×')}], not a feature map [height, width, channels]; ` +
      `${who} weights the channels of a 4-D layer output. Feature-map layers: ${listForMessage(closestFirst(layer.name, targets), 12)}`,
  );
}

/**
 * The layer a layer method uses when none is named: the last feature map with spatial extent
 * (the backbone's output, before the head pools it away). An average pool that keeps the size (VGG's
 * adaptive pool at 224×224) is passed over for its input. Among aliases of one output, the first listed.
 */
export function defaultFeatureLayer(model: Pick<WhiteBoxClassifier, 'layers' | 'resolveLayer'>): string {
  const layers = model.layers();
  const shapeOf = (l: LayerInfo) => model.resolveLayer(l.name).shape;
  const maps = layers.filter((l) => l.camTarget);
  const spatial = maps.filter((l) => {
    const [h, w] = shapeOf(l);
    return h * w > 1;
  });
  let chosen = spatial[spatial.length - 1] ?? maps[maps.length - 1];
  if (!chosen) throw new XaiError('The model has no layer with a 4-D output, so layer methods have nothing to use; name a layer');
  if (/pool/i.test(chosen.kind)) {
    const previous = [...spatial].reverse().find((l) => l.output !== chosen.output);
    if (previous && shapeOf(previous).join() === shapeOf(chosen).join()) chosen = previous;
  }
  return layers.find((l) => l.output === chosen.output)!.name;
}

/** The default layer, or undefined when the model has none (for messages). */
export function defaultFeatureLayerOrNone(model: Pick<WhiteBoxClassifier, 'layers' | 'resolveLayer'>): string | undefined {
  try {
    return defaultFeatureLayer(model);
  } catch {
    return undefined;
  }
}

/** Up to `count` names nearest to `name` by edit distance (ties in model order), within reach. */
export function closestNames(name: string, names: readonly string[], count = 3): string[] {
  const unique = [...new Set(names)];
  const scored = unique.map((n, i) => ({ n, i, d: editDistance(name.toLowerCase(), n.toLowerCase()) }));
  const reach = Math.max(3, Math.ceil(name.length / 2));
  return scored
    .filter((s) => s.d <= reach)
    .sort((a, b) => a.d - b.d || a.i - b.i)
    .slice(0, count)
    .map((s) => s.n);
}

function closestFirst(name: string, names: readonly string[]): string[] {
  const near = closestNames(name, names, 5);
  return [...near, ...names.filter((n) => !near.includes(n))];
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
