import { meanCurve, trapezoidAuc } from '@xai/metrics';
import type { GroundTruthRecord } from './ground-truth.js';
import type { ItemKey, MethodKey, SettingsKey } from './keys.js';

/**
 * One image's outcome in `xai compare` (`items/STEM.json`): what produced it (`key`), the class
 * explained, and per method its key, both curves and, with ground truth, the pointing games.
 * Nothing in it depends on when or how fast it was made: the same inputs give the same bytes.
 */
export interface ImageResult {
  path: string;
  stem: string;
  key: ItemKey;
  classIndex: number;
  className?: string;
  probability: number;
  groundTruth?: GroundTruthRecord;
  methods: Record<string, MethodResult>;
}

export interface MethodResult {
  key: MethodKey;
  insertion: { auc: number; scores: number[] };
  deletion: { auc: number; scores: number[] };
  /** Present when the image has ground truth that places the object (a mask or a box). */
  localisation?: Localisation;
  /** The saliency map (`.npy`, H×W), relative to the output folder. */
  map: string;
}

export interface Localisation {
  /** Pointing game: the map's maximum lies in the object. */
  hit: boolean;
  peak: { x: number; y: number };
  /** Energy-based pointing game: the share of positive saliency inside the object. */
  energy: number;
}

export interface MetricSummary {
  /** Mean of the per-image AUCs; null when no image has the method. */
  meanAuc: number | null;
  /** The point-by-point mean of the curves, and its AUC (the reference's data-set number). */
  meanCurve: number[];
  aucOfMeanCurve: number | null;
  images: number;
}

export interface LocalisationSummary {
  /** Images with ground truth that the method explained. */
  images: number;
  /** Share of pointing-game hits; null when there are no such images. */
  pointingAccuracy: number | null;
  meanEnergy: number | null;
}

export interface MethodSummary {
  insertion: MetricSummary;
  deletion: MetricSummary;
  localisation: LocalisationSummary;
}

/** Which slice of the inputs a run covered: the `index`-th (1-based) of `count`. */
export interface ShardInfo {
  index: number;
  count: number;
}

export interface CompareResults {
  model: string;
  /** What produced every result of the run; each image carries its own `key` as well. */
  key: SettingsKey;
  /** The shard this run covered (1/1 without `--shard`); absent on merged results. */
  shard?: ShardInfo;
  /** On merged results: the shards combined and those missing (a `--partial` merge). */
  merged?: { count: number; shards: number[]; missing: number[] };
  /** Every input of the run before sharding: how many, and the sha256 of their resolved paths. */
  inputs: { count: number; paths: string };
  methods: string[];
  protocol: Record<string, unknown>;
  images: ImageResult[];
  failed: { path: string; error: string }[];
  summary: Record<string, MethodSummary>;
  /** Sentences for the reader (an empty shard, missing shards), also shown in the report. */
  notes: string[];
}

/** Per method and metric: mean AUC, mean curve and its AUC, over the images that have the method. */
export function summarize(images: readonly ImageResult[], methods: readonly string[]): CompareResults['summary'] {
  const summary: CompareResults['summary'] = {};
  for (const method of methods) {
    const done = images.filter((i) => i.methods[method]);
    const metric = (name: 'insertion' | 'deletion'): MetricSummary => {
      const curves = done.map((i) => i.methods[method][name].scores);
      const aucs = done.map((i) => i.methods[method][name].auc);
      const mean = curves.length ? meanCurve(curves) : [];
      return {
        meanAuc: aucs.length ? aucs.reduce((a, b) => a + b, 0) / aucs.length : null,
        meanCurve: mean,
        aucOfMeanCurve: mean.length ? trapezoidAuc(mean) : null,
        images: done.length,
      };
    };
    const located = done.map((i) => i.methods[method].localisation).filter((l): l is Localisation => l !== undefined);
    const localisation: LocalisationSummary = {
      images: located.length,
      pointingAccuracy: located.length ? located.filter((l) => l.hit).length / located.length : null,
      meanEnergy: located.length ? located.reduce((sum, l) => sum + l.energy, 0) / located.length : null,
    };
    summary[method] = { insertion: metric('insertion'), deletion: metric('deletion'), localisation };
  }
  return summary;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Images in a stable order (by path), so merged and single runs list them alike. */
export function sortImages(images: ImageResult[]): ImageResult[] {
  return [...images].sort((a, b) => byString(a.path, b.path) || byString(a.stem, b.stem));
}

/** Failures in a stable order (by path, then message). */
export function sortFailures(failed: CompareResults['failed']): CompareResults['failed'] {
  return [...failed].sort((a, b) => byString(a.path, b.path) || byString(a.error, b.error));
}

/** A number for a table: four decimals, or "–" when there is none. */
export function formatNumber(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

/** True when some method has localisation scores (the data set has ground truth). */
export function hasLocalisation(results: Pick<CompareResults, 'methods' | 'summary'>): boolean {
  return results.methods.some((m) => (results.summary[m]?.localisation?.images ?? 0) > 0);
}

export function summaryTable(results: CompareResults): string {
  const located = hasLocalisation(results);
  const header =
    `${'method'.padEnd(16)} ${'images'.padStart(6)}  ${'insertion AUC ↑'.padStart(15)}  ${'deletion AUC ↓'.padStart(14)}` +
    (located ? `  ${'pointing ↑'.padStart(10)}  ${'energy ↑'.padStart(8)}` : '');
  const rows = results.methods.map((m) => {
    const s = results.summary[m];
    const base = `${m.padEnd(16)} ${String(s.insertion.images).padStart(6)}  ${formatNumber(s.insertion.meanAuc).padStart(15)}  ${formatNumber(s.deletion.meanAuc).padStart(14)}`;
    return located ? `${base}  ${formatNumber(s.localisation.pointingAccuracy).padStart(10)}  ${formatNumber(s.localisation.meanEnergy).padStart(8)}` : base;
  });
  return [header, ...rows].join('\n') + '\n';
}

/** FNV-1a of the path: which of N shards an input belongs to, independent of the other inputs. */
export function shardOf(path: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < path.length; i++) {
    hash ^= path.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}
