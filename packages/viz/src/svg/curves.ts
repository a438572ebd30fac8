import { VizError } from '../errors.js';
import { classLabel, formatAuc, formatTick } from '../labels.js';
import type { Curve } from '../types.js';
import { element, num, svgDocument, text } from './markup.js';

/** A curve with an optional legend label (e.g. the method that produced the map). */
export type CurveSeries = Curve & { label?: string };

export interface CurvesOptions {
  /** Default: `Insertion`, `Deletion` or `Insertion and deletion`, then the class. */
  title?: string;
  width?: number;
  height?: number;
  /** A smaller layout without the title, for thumbnails in a report. */
  compact?: boolean;
}

const KIND_COLOURS: Record<Curve['kind'], readonly string[]> = {
  insertion: ['#1f6fb5', '#3aa0a0', '#6a51a3', '#2b8c3e'],
  deletion: ['#d1495b', '#e07b1f', '#b5651d', '#c2408f'],
};

/**
 * Insertion/Deletion curves: x is the fraction of pixels inserted or deleted (0 to 1), y the class
 * probability; the legend gives each curve's AUC (and the title too, for a single curve).
 */
export function curvesSvg(curves: CurveSeries | readonly CurveSeries[], options: CurvesOptions = {}): string {
  const list: readonly CurveSeries[] = Array.isArray(curves) ? curves : [curves as CurveSeries];
  if (list.length === 0) throw new VizError('curvesSvg needs at least one curve');
  for (const curve of list) checkCurve(curve);

  const compact = options.compact ?? false;
  const width = options.width ?? (compact ? 240 : 440);
  const height = options.height ?? (compact ? 170 : 340);
  const font = compact ? 9 : 12;
  const line = font + 5;
  const title = compact ? '' : (options.title ?? defaultTitle(list));
  // The legend sits under the plot, where no curve can hide it.
  const legendTop = height - list.length * line - 4;
  const plot = {
    left: compact ? 30 : 48,
    top: compact ? 8 : 40,
    right: width - (compact ? 8 : 16),
    bottom: legendTop - (compact ? 16 : 40),
  };
  const yMax = Math.max(1, ...list.flatMap((c) => c.scores.filter(Number.isFinite)));
  const px = (fraction: number) => plot.left + fraction * (plot.right - plot.left);
  const py = (score: number) => plot.bottom - (score / yMax) * (plot.bottom - plot.top);

  const parts: string[] = [];
  if (title) parts.push(text(width / 2, 24, title, { size: 15, anchor: 'middle', maxWidth: width - 16 }));
  parts.push(axes(plot, px, py, yMax, font));
  const used: Record<string, number> = { insertion: 0, deletion: 0 };
  const legend: Array<{ colour: string; label: string }> = [];
  for (const curve of list) {
    const palette = KIND_COLOURS[curve.kind];
    const colour = palette[used[curve.kind]++ % palette.length];
    const n = curve.scores.length - 1;
    const points = curve.scores.map((s, i) => `${num(px(i / n))},${num(py(Number.isFinite(s) ? s : 0))}`).join(' ');
    const area = `${num(px(0))},${num(py(0))} ${points} ${num(px(1))},${num(py(0))}`;
    parts.push(element('polygon', { points: area, fill: colour, 'fill-opacity': 0.12, stroke: 'none' }));
    parts.push(element('polyline', { points, fill: 'none', stroke: colour, 'stroke-width': compact ? 1.5 : 2, 'stroke-linejoin': 'round', 'data-kind': curve.kind }));
    legend.push({ colour, label: `${curve.label ? `${curve.label} ` : ''}${curve.kind} (AUC = ${formatAuc(curve.auc)})` });
  }
  parts.push(legendRows(legend, plot.left, legendTop, line, font));
  if (!compact) {
    parts.push(text((plot.left + plot.right) / 2, plot.bottom + 2 * font + 14, 'fraction of pixels', { size: font, anchor: 'middle' }));
    parts.push(rotatedLabel(14, (plot.top + plot.bottom) / 2, 'probability', font));
  }
  return svgDocument(width, height, parts.join(''), title || legend.map((l) => l.label).join('; '));
}

function checkCurve(curve: CurveSeries): void {
  if (curve.scores.length < 2) {
    throw new VizError(`The ${curve.kind} curve needs at least 2 scores, got ${curve.scores.length}`);
  }
  if (curve.kind !== 'insertion' && curve.kind !== 'deletion') {
    throw new VizError(`A curve's kind is "insertion" or "deletion", got "${String(curve.kind)}"`);
  }
}

function defaultTitle(list: readonly CurveSeries[]): string {
  const kinds = new Set(list.map((c) => c.kind));
  const what = kinds.size === 2 ? 'Insertion and deletion' : list[0].kind === 'insertion' ? 'Insertion' : 'Deletion';
  const classes = new Set(list.map((c) => c.classIndex));
  const cls = classes.size === 1 ? classLabel(list[0].classIndex, list[0].className) : '';
  const auc = list.length === 1 ? `AUC = ${formatAuc(list[0].auc)}` : '';
  return [what, [cls, auc].filter(Boolean).join(', ')].filter(Boolean).join(': ');
}

interface Plot {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function axes(plot: Plot, px: (f: number) => number, py: (s: number) => number, yMax: number, font: number): string {
  const parts: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const fraction = i / 5;
    const x = px(fraction);
    const y = py(fraction * yMax);
    parts.push(element('line', { x1: x, y1: plot.top, x2: x, y2: plot.bottom, stroke: '#e4e4e4', 'stroke-width': 1 }));
    parts.push(element('line', { x1: plot.left, y1: y, x2: plot.right, y2: y, stroke: '#e4e4e4', 'stroke-width': 1 }));
    parts.push(text(x, plot.bottom + font + 4, formatTick(fraction), { size: font, anchor: 'middle' }));
    parts.push(text(plot.left - 4, y + font / 3, formatTick(fraction * yMax), { size: font, anchor: 'end' }));
  }
  parts.push(element('rect', { x: plot.left, y: plot.top, width: plot.right - plot.left, height: plot.bottom - plot.top, fill: 'none', stroke: '#444', 'stroke-width': 1 }));
  return parts.join('');
}

function legendRows(entries: Array<{ colour: string; label: string }>, x: number, top: number, line: number, font: number): string {
  return entries
    .map((entry, i) => {
      const cy = top + line * i + line / 2;
      return (
        element('line', { x1: x, y1: cy, x2: x + 18, y2: cy, stroke: entry.colour, 'stroke-width': 2.5 }) +
        text(x + 24, cy + font / 3, entry.label, { size: font })
      );
    })
    .join('');
}

function rotatedLabel(x: number, y: number, content: string, font: number): string {
  return text(0, 0, content, { size: font, anchor: 'middle' }).replace('<text ', `<text transform="translate(${num(x)} ${num(y)}) rotate(-90)" `);
}
