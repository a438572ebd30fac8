import { toRgba } from '../image.js';
import { classLabel, formatAuc } from '../labels.js';
import { overlay, type OverlayOptions } from '../overlay.js';
import { dataUri } from '../png/data-uri.js';
import { encodePng } from '../png/encode.js';
import { resizeRgba } from '../resize.js';
import { curvesSvg, type CurveSeries } from '../svg/curves.js';
import { lineChartSvg } from '../svg/line-chart.js';
import { metricsSectionHtml, type MetricsSection } from './metrics.js';
import type { MapLike } from '../svg/figure.js';
import { escapeXml as escape } from '../svg/markup.js';
import type { Curve, RawImage, RgbaImage } from '../types.js';

/** One method's result on one image. */
export interface ReportResult {
  method: string;
  /** How the method reads in headers (e.g. `Grad-CAM`); default: its id. */
  label?: string;
  map: MapLike;
  insertion?: Curve;
  deletion?: Curve;
  /** ROAD's curves on this image: the change in probability per percentile. */
  road?: { percentiles: readonly number[]; morf: readonly number[]; lerf: readonly number[] };
  /** Other per-image numbers, shown under the curves (e.g. `sparseness 0.41`). */
  scores?: ReadonlyArray<{ name: string; value: number }>;
}

/** One image and what every method made of it. */
export interface ReportRow {
  name: string;
  image: RawImage;
  classIndex?: number;
  className?: string;
  probability?: number;
  results: readonly ReportResult[];
}

/** A line of the summary table; computed from the rows (mean of the AUCs) when not given. */
export interface ReportSummary {
  method: string;
  /** How the method reads; default: its id. */
  label?: string;
  images: number;
  insertion?: number;
  deletion?: number;
}

export interface ReportOptions extends OverlayOptions {
  title: string;
  /** A line under the title: the model, the parameters. */
  subtitle?: string;
  rows: readonly ReportRow[];
  summary?: readonly ReportSummary[];
  /** Inputs that could not be processed, listed with the reason. */
  failures?: ReadonlyArray<{ name: string; reason: string }>;
  /** Longer side of each thumbnail in pixels (default 160). */
  thumbnailSize?: number;
  /** The methods × metrics comparison, shown after the summary. */
  metrics?: MetricsSection;
}

/**
 * A self-contained HTML page: a summary of mean AUCs per method, then one row per image with the
 * image and each method's overlay, AUCs and curves. Pictures are inlined as PNG data URIs and
 * curves as SVG; there are no scripts and no external URLs, and every text is escaped.
 */
export async function reportHtml(options: ReportOptions): Promise<string> {
  const methods = [...new Set(options.rows.flatMap((row) => row.results.map((r) => r.method)))];
  const size = options.thumbnailSize ?? 160;
  const summary = options.summary ?? summarize(options.rows, methods);
  const labels = new Map<string, string>();
  for (const r of [...options.rows.flatMap((row) => row.results), ...summary]) if (r.label) labels.set(r.method, r.label);
  const labelOf = (method: string) => labels.get(method) ?? method;
  const body: string[] = [`<h1>${escape(options.title)}</h1>`];
  if (options.subtitle) body.push(`<p class="subtitle">${escape(options.subtitle)}</p>`);
  if (summary.length > 0) body.push(summaryTable(summary, labelOf));
  if (options.metrics) body.push(metricsSectionHtml(options.metrics));
  if (options.rows.length > 0) {
    const header = ['image', ...methods.map(labelOf)].map((h) => `<th>${escape(h)}</th>`).join('');
    const rows: string[] = [];
    for (const row of options.rows) rows.push(await rowHtml(row, methods, size, options));
    body.push(`<table class="results"><thead><tr>${header}</tr></thead><tbody>${rows.join('')}</tbody></table>`);
  }
  if (options.failures && options.failures.length > 0) {
    const items = options.failures.map((f) => `<li><b>${escape(f.name)}</b>: ${escape(f.reason)}</li>`).join('');
    body.push(`<h2>Not processed</h2><ul class="failures">${items}</ul>`);
  }
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escape(options.title)}</title><style>${STYLE}</style></head>` +
    `<body>${body.join('\n')}</body></html>\n`
  );
}

const STYLE = [
  'body{font-family:"DejaVu Sans",system-ui,sans-serif;margin:24px;color:#222;background:#fff}',
  'h1{font-size:1.5em;margin:0 0 4px}.subtitle{color:#555;margin:0 0 16px}',
  'table{border-collapse:collapse;margin:12px 0}th,td{border:1px solid #ddd;padding:6px 8px;vertical-align:top}',
  'th{background:#f4f4f4;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}',
  'figure{margin:0;text-align:center}figcaption{font-size:.85em;color:#333;margin-top:4px}',
  'img{display:block;margin:auto;image-rendering:pixelated}.aucs{font-size:.85em;margin:4px 0}',
  '.name{font-weight:bold;word-break:break-all}.failures{color:#a00}',
  'td.best{font-weight:bold}.note{color:#555}.charts svg{margin:0 12px 12px 0}',
].join('');

function summarize(rows: readonly ReportRow[], methods: readonly string[]): ReportSummary[] {
  return methods.map((method) => {
    const results = rows.flatMap((row) => row.results.filter((r) => r.method === method));
    return {
      method,
      images: results.length,
      insertion: mean(results.map((r) => r.insertion?.auc)),
      deletion: mean(results.map((r) => r.deletion?.auc)),
    };
  });
}

function mean(values: ReadonlyArray<number | undefined>): number | undefined {
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return known.length > 0 ? known.reduce((a, b) => a + b, 0) / known.length : undefined;
}

function summaryTable(summary: readonly ReportSummary[], labelOf: (method: string) => string): string {
  const cell = (v: number | undefined) => `<td class="num">${v === undefined ? '–' : formatAuc(v)}</td>`;
  const rows = summary
    .map((s) => `<tr><td>${escape(labelOf(s.method))}</td><td class="num">${s.images}</td>${cell(s.insertion)}${cell(s.deletion)}</tr>`)
    .join('');
  return (
    '<table class="summary"><thead><tr><th>method</th><th>images</th>' +
    '<th>insertion AUC (higher is better)</th><th>deletion AUC (lower is better)</th></tr></thead>' +
    `<tbody>${rows}</tbody></table>`
  );
}

async function rowHtml(row: ReportRow, methods: readonly string[], size: number, options: OverlayOptions): Promise<string> {
  const caption = classLabel(row.classIndex, row.className, row.probability);
  const cells = [
    `<td><figure>${await thumbnail(toRgba(row.image), size, row.name)}` +
      `<figcaption><div class="name">${escape(row.name)}</div>${escape(caption)}</figcaption></figure></td>`,
  ];
  for (const method of methods) {
    const result = row.results.find((r) => r.method === method);
    cells.push(result ? await resultHtml(row, result, size, options) : '<td>–</td>');
  }
  return `<tr>${cells.join('')}</tr>`;
}

async function resultHtml(row: ReportRow, result: ReportResult, size: number, options: OverlayOptions): Promise<string> {
  const blended = overlay(row.image, result.map, options);
  const label = `${result.label ?? result.method} on ${row.name}`;
  const curves = [result.insertion, result.deletion].filter((c): c is CurveSeries => c !== undefined);
  const aucs = curves.map((c) => `${c.kind} AUC ${formatAuc(c.auc)}`).join(' · ');
  const chartSize = { compact: true, width: Math.max(size + 40, 200), height: 150 };
  const chart = curves.length > 0 ? curvesSvg(curves, chartSize) : '';
  const road = result.road
    ? lineChartSvg(
        [
          { label: 'ROAD MoRF', values: result.road.morf, group: 'road' },
          { label: 'ROAD LeRF', values: result.road.lerf, dashed: true, group: 'road' },
        ],
        { ...chartSize, x: result.road.percentiles },
      )
    : '';
  const scores = (result.scores ?? []).map((s) => `${s.name} ${formatAuc(s.value)}`).join(' · ');
  return (
    `<td><figure>${await thumbnail(blended, size, label)}` +
    `<figcaption>${aucs ? `<div class="aucs">${escape(aucs)}</div>` : ''}${chart}${road}` +
    `${scores ? `<div class="aucs">${escape(scores)}</div>` : ''}</figcaption></figure></td>`
  );
}

async function thumbnail(pixels: RgbaImage, size: number, alt: string): Promise<string> {
  const scale = size / Math.max(pixels.width, pixels.height);
  const width = Math.max(1, Math.round(pixels.width * scale));
  const height = Math.max(1, Math.round(pixels.height * scale));
  const shown = scale < 1 ? resizeRgba(pixels, height, width) : pixels;
  const src = dataUri(await encodePng(shown), 'image/png');
  return `<img src="${src}" width="${width}" height="${height}" alt="${escape(alt)}">`;
}
