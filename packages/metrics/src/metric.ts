import * as tf from '@tensorflow/tfjs-core';
import { throwIfAborted, XaiError, type Classifier, type LongWorkOptions, type SaliencyMap } from '@xai/core';
import { confidenceChange } from './confidence.js';
import { deletion, DEFAULT_SUBSTRATES, insertion } from './insertion-deletion.js';
import { complexity, sparseness } from './map-statistics.js';
import { muFidelity, muFidelitySettings, type MuFidelitySettings } from './mu-fidelity.js';
import { energyPointingGame, pointingGame, type ObjectMask } from './pointing.js';
import { road, roadSettings, type RoadSettings } from './road.js';
import { describeSubstrate, type Substrate } from './substrate.js';
import { checkStep } from './validate.js';

export const METRIC_NAMES = [
  'insertion',
  'deletion',
  'road',
  'sparseness',
  'complexity',
  'mu-fidelity',
  'average-drop',
  'increase-in-confidence',
  'pointing-game',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

/** Which direction of each metric's value is better. */
export const METRIC_DIRECTIONS: Readonly<Record<MetricName, 'higher' | 'lower'>> = {
  insertion: 'higher',
  deletion: 'lower',
  road: 'higher',
  sparseness: 'higher',
  complexity: 'lower',
  'mu-fidelity': 'higher',
  'average-drop': 'lower',
  'increase-in-confidence': 'higher',
  'pointing-game': 'higher',
};

/** One image's score: the metric's number, and what it was made of. */
export interface MetricScore {
  /** The one number the metric gives this image (see each metric for its unit and direction). */
  value: number;
  /** The class tracked, for metrics that run the model. */
  classIndex?: number;
  /** Named curves: `insertion`, `deletion`, or ROAD's `morf` and `lerf`. */
  curves?: Record<string, number[]>;
  /** Other per-image numbers (e.g. the pointing game's peak and energy). */
  details?: Record<string, unknown>;
}

export interface MetricCallOptions extends LongWorkOptions {
  /** Per map, the class to track; undefined for the top class of the intact image. */
  classIndices?: ReadonlyArray<number | undefined>;
  /** Per map, the object's ground truth (required by the pointing game). */
  masks?: ReadonlyArray<ObjectMask | undefined>;
}

/**
 * A metric built once with its settings and called with a model, images and their maps (the
 * xplique style). `settings` is plain JSON: everything a score depends on besides the model,
 * image and map, so results can be keyed by it.
 */
export interface MapMetric {
  readonly name: MetricName;
  /** Which direction of `value` is better. */
  readonly better: 'higher' | 'lower';
  readonly settings: Readonly<Record<string, unknown>>;
  /** True when the metric runs the model (false for properties of the map alone). */
  readonly usesModel: boolean;
  /** True when the metric needs the object's ground truth (`masks`). */
  readonly needsGroundTruth: boolean;
  /** One score per map; `images` is NHWC `[N, H, W, C]` with N = maps.length (owned by the caller). */
  evaluate(model: Classifier, images: tf.Tensor4D, maps: readonly SaliencyMap[], options?: MetricCallOptions): Promise<MetricScore[]>;
}

export interface MetricSettings {
  insertion: { step?: number; substrate?: Substrate };
  deletion: { step?: number; substrate?: Substrate };
  road: RoadSettings;
  sparseness: Record<string, never>;
  complexity: Record<string, never>;
  'mu-fidelity': MuFidelitySettings;
  'average-drop': Record<string, never>;
  'increase-in-confidence': Record<string, never>;
  'pointing-game': { tolerance?: number };
}

type Built = Omit<MapMetric, 'name' | 'evaluate' | 'better'> & { score: ScoreOne };

type ScoreOne = (model: Classifier, image: tf.Tensor4D, map: SaliencyMap, options: LongWorkOptions & { classIndex?: number; mask?: ObjectMask }) => Promise<MetricScore>;

/** True for one of METRIC_NAMES. */
export function isMetricName(name: string): name is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(name);
}

/** Builds a metric by name with its settings (checked now, before any image is seen). */
export function createMetric<N extends MetricName>(name: N, settings: MetricSettings[N] = {} as MetricSettings[N]): MapMetric {
  if (!isMetricName(name)) throw new XaiError(`Unknown metric "${String(name)}"; accepted: ${METRIC_NAMES.join(', ')}`);
  const build = BUILDERS[name] as (s: MetricSettings[N]) => Built;
  const { score, ...described } = build(settings);
  return {
    name,
    better: METRIC_DIRECTIONS[name],
    ...described,
    async evaluate(model, images, maps, options = {}) {
      if (images.shape[0] !== maps.length) {
        throw new XaiError(`${name}: ${images.shape[0]} images but ${maps.length} maps; give one map per image`);
      }
      if (described.needsGroundTruth && maps.some((_, i) => options.masks?.[i] === undefined)) {
        throw new XaiError(`${name} needs the object's ground truth (a mask) for every map`);
      }
      const scores: MetricScore[] = [];
      for (let i = 0; i < maps.length; i++) {
        throwIfAborted(options.signal);
        const image = maps.length === 1 ? images : (tf.slice(images, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D);
        try {
          scores.push(await score(model, image, maps[i], { ...options, classIndex: options.classIndices?.[i], mask: options.masks?.[i] }));
        } finally {
          if (image !== images) image.dispose();
        }
      }
      return scores;
    },
  };
}

function curveMetric(kind: 'insertion' | 'deletion') {
  return (settings: MetricSettings['insertion']) => {
    const step = settings.step === undefined ? undefined : checkStep(settings.step);
    const substrate = settings.substrate ?? DEFAULT_SUBSTRATES[kind];
    const run = kind === 'insertion' ? insertion : deletion;
    return {
      settings: { step: step ?? 'input width', substrate: describeSubstrate(substrate) },
      usesModel: true,
      needsGroundTruth: false,
      score: (async (model, image, map, options) => {
        const result = await run(model, image, map, { ...options, step, substrate });
        return { value: result.auc, classIndex: result.classIndex, curves: { [kind]: result.scores } };
      }) as ScoreOne,
    };
  };
}

const mapOnly = (statistic: (map: SaliencyMap) => number) => () => ({
  settings: {},
  usesModel: false,
  needsGroundTruth: false,
  score: (async (_model, _image, map) => ({ value: statistic(map) })) as ScoreOne,
});

const confidence = (kind: 'average-drop' | 'increase-in-confidence') => () => ({
  settings: { unit: 'percent', map: 'min-max to [0, 1], NaN → 0' },
  usesModel: true,
  needsGroundTruth: false,
  score: (async (model, image, map, options) => {
    const r = await confidenceChange(model, image, map, { classIndex: options.classIndex });
    const value = kind === 'average-drop' ? 100 * r.drop : r.increased ? 100 : 0;
    return { value, classIndex: r.classIndex, details: { intact: r.intact, explained: r.explained } };
  }) as ScoreOne,
});

const BUILDERS: { [N in MetricName]: (settings: MetricSettings[N]) => Built } = {
  insertion: curveMetric('insertion'),
  deletion: curveMetric('deletion'),
  road: (given) => {
    const settings = roadSettings(given);
    return {
      settings: { ...settings },
      usesModel: true,
      needsGroundTruth: false,
      score: async (model, image, map, options) => {
        const r = await road(model, image, map, { ...settings, ...work(options), classIndex: options.classIndex });
        return { value: r.combined, classIndex: r.classIndex, curves: { morf: r.morf, lerf: r.lerf }, details: { percentiles: r.percentiles } };
      },
    };
  },
  sparseness: mapOnly(sparseness),
  complexity: mapOnly(complexity),
  'mu-fidelity': (given) => {
    const settings = muFidelitySettings(given);
    return {
      settings: { ...settings, score: 'logit' },
      usesModel: true,
      needsGroundTruth: false,
      score: async (model, image, map, options) => {
        const r = await muFidelity(model, image, map, { ...settings, ...work(options), classIndex: options.classIndex });
        return { value: r.value, classIndex: r.classIndex };
      },
    };
  },
  'average-drop': confidence('average-drop'),
  'increase-in-confidence': confidence('increase-in-confidence'),
  'pointing-game': (given) => {
    const tolerance = given.tolerance ?? 0;
    if (!(tolerance >= 0) || !Number.isFinite(tolerance)) throw new XaiError(`tolerance must be a number of pixels ≥ 0, got ${tolerance}`);
    return {
      settings: { tolerance },
      usesModel: false,
      needsGroundTruth: true,
      score: async (_model, _image, map, options) => {
        const { hit, peak } = pointingGame(map, options.mask!, { tolerance });
        return { value: hit ? 1 : 0, details: { hit, peak, energy: energyPointingGame(map, options.mask!) } };
      },
    };
  },
};

function work(options: LongWorkOptions): LongWorkOptions {
  return { batchSize: options.batchSize, signal: options.signal, onProgress: options.onProgress };
}
