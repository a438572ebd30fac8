import { meanCurve, trapezoidAuc } from '@xai/metrics';

/** One image's outcome in `xai compare`: per method, the map's class and both curves. */
export interface ImageResult {
  path: string;
  stem: string;
  classIndex: number;
  className?: string;
  probability: number;
  methods: Record<string, MethodResult>;
}

export interface MethodResult {
  seconds: number;
  insertion: { auc: number; scores: number[] };
  deletion: { auc: number; scores: number[] };
  /** The saliency map (`.npy`, H×W), relative to the output folder. */
  map: string;
}

export interface MetricSummary {
  /** Mean of the per-image AUCs. */
  meanAuc: number;
  /** The point-by-point mean of the curves, and its AUC (the reference's data-set number). */
  meanCurve: number[];
  aucOfMeanCurve: number;
  images: number;
}

export interface CompareResults {
  model: string;
  methods: string[];
  protocol: Record<string, unknown>;
  images: ImageResult[];
  failed: { path: string; error: string }[];
  summary: Record<string, { insertion: MetricSummary; deletion: MetricSummary }>;
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
        meanAuc: aucs.length ? aucs.reduce((a, b) => a + b, 0) / aucs.length : NaN,
        meanCurve: mean,
        aucOfMeanCurve: mean.length ? trapezoidAuc(mean) : NaN,
        images: done.length,
      };
    };
    summary[method] = { insertion: metric('insertion'), deletion: metric('deletion') };
  }
  return summary;
}

/** Images in a stable order (by path), so merged and single runs list them alike. */
export function sortImages(images: ImageResult[]): ImageResult[] {
  return [...images].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export function summaryTable(results: CompareResults): string {
  const header = `${'method'.padEnd(16)} ${'images'.padStart(6)}  ${'insertion AUC ↑'.padStart(15)}  ${'deletion AUC ↓'.padStart(14)}`;
  const rows = results.methods.map((m) => {
    const s = results.summary[m];
    return `${m.padEnd(16)} ${String(s.insertion.images).padStart(6)}  ${s.insertion.meanAuc.toFixed(4).padStart(15)}  ${s.deletion.meanAuc.toFixed(4).padStart(14)}`;
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
