import { formatNpy, type SaliencyMap } from '@xai/core';
import type { EvaluateResult, ModelInfo, Prediction } from '../protocol.js';

/** `rise-cat-3`: method, class name (made file-safe) and index. */
export function fileStem(map: SaliencyMap): string {
  const name = (map.className ?? 'class').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `${map.method}-${name || 'class'}-${map.classIndex}`;
}

/** One map as `H×W` float32, or several (every class's, from methods that map them at once) as `K×H×W` in order. */
export function mapsToNpy(maps: readonly SaliencyMap[]): Uint8Array {
  if (maps.length === 0) throw new Error('No maps to save');
  const { height, width } = maps[0];
  if (maps.length === 1) return formatNpy({ dtype: 'float32', shape: [height, width], data: maps[0].data });
  const data = new Float32Array(maps.length * height * width);
  maps.forEach((map, k) => data.set(map.data, k * height * width));
  return formatNpy({ dtype: 'float32', shape: [maps.length, height, width], data });
}

export interface RunRecord {
  map: SaliencyMap;
  /** Classes of the maps in the .npy, in order. */
  npyClasses: number[];
  curves?: EvaluateResult;
  model: ModelInfo;
  backend: string;
  top: Prediction[];
  seconds: number;
  /** The preprocessing steps applied to the image. */
  steps?: string[];
}

/** Everything needed to reproduce and compare a run, without the map values (they are in the .npy). */
export function runJson(record: RunRecord): string {
  const { map, curves, model } = record;
  const [min, max] = range(map.data);
  return JSON.stringify(
    {
      method: map.method,
      classIndex: map.classIndex,
      className: map.className,
      params: map.params,
      size: [map.height, map.width],
      valueRange: [min, max],
      npyClasses: record.npyClasses,
      randomMap: curves && { insertionAuc: curves.random.insertion, deletionAuc: curves.random.deletion, seed: curves.random.seed },
      insertion: curves && { auc: curves.insertion.auc, step: curves.insertion.step, substrate: curves.insertion.substrate, scores: curves.insertion.scores },
      deletion: curves && { auc: curves.deletion.auc, step: curves.deletion.step, substrate: curves.deletion.substrate, scores: curves.deletion.scores },
      model: { name: model.name, input: model.input, numClasses: model.numClasses, engine: model.engine, gradients: model.gradients, preprocessing: model.preprocessing, applied: model.applied },
      preprocessingSteps: record.steps,
      backend: record.backend,
      top5: record.top,
      seconds: record.seconds,
    },
    null,
    2,
  );
}

function range(values: Float32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}
