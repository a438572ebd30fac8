import { join } from 'node:path';
import { deprocess, geometryInWords, modelPixels, nonDefaultGeometry, npyToFloat32, readingGuide, type Classifier, type Preprocessing, type RawImage, type SaliencyMap } from '@xai/core';
import { readNpyFile, writeFileAtomic } from '@xai/core/node';
import type { CurveResult } from '@xai/metrics';
import type { MaskSource } from '@xai/rise';
import { escapeXml, reportHtml, type Curve, type CurveSeries, type LineSeries, type MetricsSection, type ReportResult, type ReportRow } from '@xai/viz';
import { readImage, writeCurves, writeFigure, writeMaskGrid } from '@xai/viz/node';
import type { LoadedInput } from './inputs.js';
import type { CompareResults } from './results.js';
import { registry } from './registry.js';

/** The reference notebooks' figure: the image titled with class and probability, and the overlay. */
export async function writeExplanationFigure(
  path: string,
  input: LoadedInput,
  map: SaliencyMap,
  model: Classifier,
  probability: number | undefined,
  label: string,
): Promise<void> {
  const image = input.pixels ?? (await deprocess(input.tensor, model.preprocessing));
  await writeFigure(path, image, map, { probability, overlayTitle: label });
}

export function toCurve(result: CurveResult, className?: string): Curve {
  return { scores: result.scores, auc: result.auc, kind: result.metric, classIndex: result.classIndex, className };
}

export async function writeCurveFigure(path: string, curves: CurveResult[], className?: string): Promise<void> {
  await writeCurves(path, curves.map((c) => toCurve(c, className)));
}

/** The first 16 masks of a set, as a grid picture. */
export async function writeMaskPreview(path: string, source: MaskSource): Promise<void> {
  const count = Math.min(16, source.count);
  const data = source.open().next(count);
  await writeMaskGrid(path, { data, count, height: source.height, width: source.width }, undefined);
}

/**
 * report.html of `xai compare` and `xai merge`: the notes (an empty shard, missing shards), the
 * methods × metrics table with intervals, the rankings and their agreement, the mean curves, then
 * one row per image with every method's overlay, curves and scores. Map paths are relative to `outDir`.
 */
export async function writeCompareReport(path: string, results: CompareResults, outDir: string): Promise<void> {
  const rows: ReportRow[] = [];
  for (const image of results.images) {
    let pixels: RawImage;
    try {
      pixels = await readImage(image.path);
    } catch {
      continue; // the source image moved since the run; the numbers are still in results.json
    }
    const methodRows: ReportResult[] = [];
    for (const method of results.methods) {
      const result = image.methods[method];
      if (!result) continue;
      let array;
      try {
        array = await readNpyFile(join(outDir, result.map));
      } catch {
        continue; // the map is gone; its numbers are still in results.json
      }
      const [height, width] = array.shape;
      const curve = (kind: 'insertion' | 'deletion'): Curve | undefined => {
        const record = result.metrics[kind];
        return record?.curves?.[kind] ? { scores: record.curves[kind], auc: record.value, kind, classIndex: image.classIndex, className: image.className } : undefined;
      };
      const road = result.metrics.road;
      const percentiles = road?.details?.percentiles as number[] | undefined;
      methodRows.push({
        method,
        label: registry.label(method),
        map: { data: npyToFloat32(array), height, width, method, classIndex: image.classIndex, className: image.className },
        insertion: curve('insertion'),
        deletion: curve('deletion'),
        ...(road?.curves && percentiles ? { road: { percentiles, morf: road.curves.morf, lerf: road.curves.lerf } } : {}),
        scores: Object.entries(result.metrics)
          .filter(([name]) => name !== 'insertion' && name !== 'deletion')
          .map(([name, record]) => ({ name, value: record.value })),
      });
    }
    const first = methodRows[0]?.map;
    // The maps explain the model's input: show what the model saw (a crop, say), not the whole file.
    if (first && hasGeometry(results.key?.preprocessing)) {
      const input = { width: first.width, height: first.height, channels: pixels.channels === 1 || pixels.channels === 2 ? 1 : 3, layout: 'NHWC' as const };
      pixels = await modelPixels(pixels, input, results.key.preprocessing);
    }
    rows.push({ name: image.path, image: pixels, classIndex: image.classIndex, className: image.className, probability: image.probability, results: methodRows });
  }
  const html = await reportHtml({
    title: results.merged ? 'xai merge' : 'xai compare',
    subtitle: `model: ${results.model} — ${results.images.length} images${shardLine(results)}${engineLine(results.key)}${preprocessingLine(results.key?.preprocessing)}`,
    rows,
    summary: [],
    metrics: metricsSection(results),
    failures: results.failed.map((f) => ({ name: f.path, reason: f.error })),
  });
  await writeFileAtomic(path, withNotes(html, notesHtml(results.notes)).replace('</body>', `${guideHtml(results)}</body>`));
}

/** The summary of results.json as the report's methods × metrics section. */
export function metricsSection(results: CompareResults): MetricsSection {
  const { summary } = results;
  const label = (method: string) => registry.label(method);
  const meanCurves: CurveSeries[] = [];
  const roadSeries: LineSeries[] = [];
  let percentiles: number[] | undefined;
  for (const method of results.methods) {
    for (const kind of ['insertion', 'deletion'] as const) {
      const cell = summary.table[method]?.[kind];
      const scores = cell?.meanCurves?.[kind];
      if (scores && summary.metrics.includes(kind)) meanCurves.push({ kind, scores, auc: cell.aucOfMeanCurve ?? Number.NaN, classIndex: -1, label: label(method) });
    }
    const road = summary.table[method]?.road;
    if (road?.meanCurves && summary.metrics.includes('road')) {
      percentiles ??= results.key.protocol.metrics.road?.percentiles as number[] | undefined;
      roadSeries.push({ label: `${label(method)} MoRF`, values: road.meanCurves.morf, group: method });
      roadSeries.push({ label: `${label(method)} LeRF`, values: road.meanCurves.lerf, dashed: true, group: method });
    }
  }
  const { level, resamples, seed } = summary.interval;
  return {
    metrics: summary.metrics.map((name) => ({ name, better: summary.better[name] })),
    methods: results.methods.map((method) => ({ method, label: label(method) })),
    cells: summary.table,
    rankings: summary.rankings,
    agreement: summary.agreement,
    intervalNote: `${Math.round(level * 100)} % bootstrap interval over images (${resamples} resamples, seed ${seed})`,
    meanCurves,
    ...(percentiles && roadSeries.length ? { meanRoad: { percentiles, series: roadSeries } } : {}),
  };
}

function hasGeometry(pre: Preprocessing | undefined): pre is Preprocessing {
  return pre !== undefined && Object.keys(nonDefaultGeometry(pre)).length > 0;
}

/** What the run applied to every image before the model, as the report's subtitle says it. */
/** ` — forward passes on onnxruntime-node, gradients on …` from the run's key. */
function engineLine(key: { engine: string; gradients?: string } | undefined): string {
  if (!key) return '';
  return ` — forward passes: ${key.engine}${key.gradients && key.gradients !== key.engine ? `, gradients: ${key.gradients}` : ''}`;
}

function preprocessingLine(pre: Preprocessing | undefined): string {
  if (!pre) return '';
  const values = `mean [${pre.mean.join(', ')}], std [${pre.std.join(', ')}], scale ${+pre.scale.toPrecision(6)}, offset ${pre.offset}`;
  return ` — preprocessing: ${geometryInWords(pre)}, ${values}`;
}

function shardLine(results: CompareResults): string {
  if (results.merged) return ` — merged from shard${results.merged.shards.length === 1 ? '' : 's'} ${results.merged.shards.join(', ')} of ${results.merged.count}`;
  if (results.shard && results.shard.count > 1) return ` — shard ${results.shard.index} of ${results.shard.count}`;
  return '';
}

/** "How to read this report": one line per method's map and per metric shown. */
function guideHtml(results: CompareResults): string {
  const lines = readingGuide(results.methods, ['colour-bar', ...results.summary.metrics], (id) => registry.label(id));
  const items = lines.map((g) => `<dt style="font-weight:bold;margin-top:0.3em">${escapeXml(g.term)}</dt><dd style="margin-left:1em">${escapeXml(g.line)}</dd>`).join('');
  return `<section class="reading-guide"><h2>How to read this report</h2><dl>${items}</dl></section>`;
}

function notesHtml(notes: readonly string[]): string {
  return notes.map((n) => `<p class="note" style="color:#a00;font-weight:bold">${escapeXml(n)}</p>`).join('');
}

/** Puts the notes under the subtitle. */
function withNotes(html: string, notes: string): string {
  if (!notes) return html;
  const at = html.indexOf('</p>', html.indexOf('<p class="subtitle">'));
  return at >= 0 ? html.slice(0, at + 4) + notes + html.slice(at + 4) : html.replace('<body>', `<body>${notes}`);
}
