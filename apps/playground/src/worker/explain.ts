import type * as tf from '@tensorflow/tfjs-core';
import { prepareMethod, runPrepared, type Classifier, type LongWorkOptions, type MethodRegistry, type SaliencyMap } from '@xai/core';
import { binaryMasks, gaussianMasks, type MaskSource } from '@xai/rise';
import type { ExplainRequest, ExplainResult, MaskSample } from '../protocol.js';

/**
 * Runs one registered method on the preprocessed image, one map per target in the order asked
 * for. The parameters, targets and layers are checked (with the contract's messages) before any
 * work starts.
 */
export async function explain(
  registry: MethodRegistry,
  model: Classifier,
  image: tf.Tensor4D,
  request: ExplainRequest,
  work: LongWorkOptions,
): Promise<ExplainResult> {
  const started = performance.now();
  const method = registry.get(request.method);
  const { params, targets, layer, batchSize } = request;
  const prepared = prepareMethod(method, model, { params, targets, layer, batchSize });
  const maps = await runPrepared(prepared, model, image, work);
  const masks = maps[0] ? maskSample(maps[0], request.maskSamples) : undefined;
  return { method: method.id, maps, masks, seconds: (performance.now() - started) / 1000 };
}

/**
 * The first masks of the seeded set a mask method drew, rebuilt from what its map records
 * (`masks`: binary or gaussian, with `n`, `s`, `p1`, `seed`); every pass over a source yields the
 * same masks. Undefined for maps that record no drawn masks.
 */
function maskSample(map: SaliencyMap, count: number): MaskSample | undefined {
  const source = drawnMasks(map);
  if (!source) return undefined;
  const shown = Math.min(count, source.count);
  if (shown <= 0) return undefined;
  return { data: source.open().next(shown), count: shown, height: source.height, width: source.width };
}

function drawnMasks(map: SaliencyMap): MaskSource | undefined {
  const { masks, n, s, p1, seed } = map.params;
  if (typeof n !== 'number' || typeof s !== 'number' || typeof seed !== 'number') return undefined;
  const size = { height: map.height, width: map.width };
  if (masks === 'binary' && typeof p1 === 'number') return binaryMasks({ n, s, p1, seed, ...size });
  if (masks === 'gaussian') return gaussianMasks({ n, s, seed, ...size });
  return undefined;
}
