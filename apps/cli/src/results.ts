import { bootstrapMeanInterval, createMetric, isMetricName, meanCurve, METRIC_DIRECTIONS, rankBy, rankingAgreement, trapezoidAuc, type RankingAgreement } from '@xai/metrics';
import type { GroundTruthRecord } from './ground-truth.js';
import type { IntervalKey, ItemKey, MethodKey, MetricProtocolKey, SettingsKey } from './keys.js';

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
  /** Per metric of the run: the image's score. Metrics that need ground truth are absent without it. */
  metrics: Record<string, MetricRecord>;
  /** The saliency map (`.npy`, H×W), relative to the output folder. */
  map: string;
}

/** One metric's score on one image (see @xai/metrics' MetricScore). */
export interface MetricRecord {
  value: number;
  /** Insertion's or Deletion's curve, ROAD's `morf` and `lerf`. */
  curves?: Record<string, number[]>;
  /** E.g. the pointing game's `hit`, `peak` and `energy`; ROAD's `percentiles`. */
  details?: Record<string, unknown>;
}

/** One method under one metric, over the images that have both. */
export interface MetricSummary {
  images: number;
  /** Mean of the per-image values; null when no image has one. */
  mean: number | null;
  /** The 95 % bootstrap interval of the mean over images; null when no image has a value. */
  interval: [number, number] | null;
  /** The point-by-point mean of each curve. */
  meanCurves?: Record<string, number[]>;
  /** Insertion, Deletion: the AUC of the mean curve (the reference's data-set number). */
  aucOfMeanCurve?: number | null;
  /** The pointing game: the mean energy-based score (the share of positive saliency inside the object). */
  meanEnergy?: number | null;
}

export interface CompareSummary {
  /** The metrics of the run, in its order (the pointing game only when some image has ground truth). */
  metrics: string[];
  /** Per metric: which direction of its value is better. */
  better: Record<string, 'higher' | 'lower'>;
  interval: IntervalKey;
  /** `table[method][metric]`. */
  table: Record<string, Record<string, MetricSummary>>;
  /** Per metric: the methods best first, by their mean. */
  rankings: Record<string, string[]>;
  /** Kendall's τ between every pair of metrics' rankings. */
  agreement: RankingAgreement;
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
  summary: CompareSummary;
  /** Sentences for the reader (an empty shard, missing shards), also shown in the report. */
  notes: string[];
}

/**
 * The methods × metrics table (means and bootstrap intervals over images), each metric's ranking
 * and their agreement. Depends only on the images (sorted by path) and the protocol, so merged
 * shards summarise as the single run does.
 */
export function summarize(images: readonly ImageResult[], methods: readonly string[], protocol: MetricProtocolKey): CompareSummary {
  const chosen = Object.keys(protocol.metrics).filter(isMetricName);
  const better = Object.fromEntries(chosen.map((m) => [m, METRIC_DIRECTIONS[m]]));
  const table: CompareSummary['table'] = {};
  for (const method of methods) {
    table[method] = {};
    for (const metric of chosen) {
      const records = images.flatMap((i) => {
        const r = i.methods[method]?.metrics?.[metric];
        return r ? [r] : [];
      });
      const values = records.map((r) => r.value);
      const summary: MetricSummary = {
        images: records.length,
        mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null,
        interval: values.length ? bootstrapMeanInterval(values, { resamples: protocol.interval.resamples, level: protocol.interval.level, seed: protocol.interval.seed }) : null,
      };
      const names = records.length && records[0].curves ? Object.keys(records[0].curves) : [];
      if (names.length) summary.meanCurves = Object.fromEntries(names.map((n) => [n, meanCurve(records.map((r) => r.curves![n]))]));
      if (metric === 'insertion' || metric === 'deletion') summary.aucOfMeanCurve = summary.meanCurves?.[metric] ? trapezoidAuc(summary.meanCurves[metric]) : null;
      if (metric === 'pointing-game') summary.meanEnergy = records.length ? records.reduce((sum, r) => sum + Number(r.details?.energy ?? 0), 0) / records.length : null;
      table[method][metric] = summary;
    }
  }
  // A metric that needs ground truth is left out when no image has any; the others show "–" without images.
  const metrics = chosen.filter((m) => !createMetric(m).needsGroundTruth || methods.some((method) => table[method][m].images > 0));
  const means = Object.fromEntries(metrics.map((m) => [m, Object.fromEntries(methods.map((method) => [method, table[method][m].mean]))]));
  return {
    metrics,
    better,
    interval: protocol.interval,
    table,
    rankings: Object.fromEntries(metrics.map((m) => [m, rankBy(means[m], better[m])])),
    agreement: rankingAgreement(means, better),
  };
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

/** The summary as a text table: one row per method, each metric's mean (with ↑ or ↓). */
export function summaryTable(results: CompareResults): string {
  const { summary } = results;
  const headers = summary.metrics.map((m) => `${m} ${summary.better[m] === 'higher' ? '↑' : '↓'}`);
  const widths = headers.map((h) => Math.max(h.length, 8));
  const imageCount = (m: string) => Math.max(0, ...summary.metrics.map((metric) => summary.table[m]?.[metric]?.images ?? 0));
  const header = `${'method'.padEnd(22)} ${'images'.padStart(6)}` + headers.map((h, i) => `  ${h.padStart(widths[i])}`).join('');
  const rows = results.methods.map(
    (m) =>
      `${m.padEnd(22)} ${String(imageCount(m)).padStart(6)}` +
      summary.metrics.map((metric, i) => `  ${formatNumber(summary.table[m]?.[metric]?.mean).padStart(widths[i])}`).join(''),
  );
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
