import { VizError } from '../errors.js';
import { formatTick } from '../labels.js';
import { element, num, svgDocument, text } from './markup.js';

export interface LineSeries {
  label: string;
  /** One value per x; non-finite values are left out of the line. */
  values: readonly number[];
  colour?: string;
  /** Series of one group share a colour (e.g. a method's MoRF and LeRF curves). Default: the label. */
  group?: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  /** The x of each value, increasing. */
  x: readonly number[];
  xLabel?: string;
  yLabel?: string;
  title?: string;
  width?: number;
  height?: number;
  /** A smaller layout without the title and axis labels, for thumbnails in a report. */
  compact?: boolean;
}

const PALETTE = ['#1f6fb5', '#d1495b', '#2b8c3e', '#e07b1f', '#6a51a3', '#3aa0a0', '#b5651d', '#c2408f'];

/**
 * Lines over a shared x axis, with a zero line when the values change sign (e.g. ROAD's change in
 * probability per percentile); the legend sits under the plot.
 */
export function lineChartSvg(series: readonly LineSeries[], options: LineChartOptions): string {
  const xs = options.x;
  if (series.length === 0) throw new VizError('lineChartSvg needs at least one series');
  if (xs.length < 2 || xs.some((v, i) => i > 0 && !(v > xs[i - 1]))) throw new VizError('lineChartSvg needs at least 2 increasing x values');
  for (const s of series) {
    if (s.values.length !== xs.length) throw new VizError(`The series "${s.label}" has ${s.values.length} values for ${xs.length} x values`);
  }
  const compact = options.compact ?? false;
  const width = options.width ?? (compact ? 240 : 440);
  const height = options.height ?? (compact ? 170 : 340);
  const font = compact ? 9 : 12;
  const line = font + 5;
  const title = compact ? '' : (options.title ?? '');
  const legendTop = height - series.length * line - 4;
  const plot = { left: compact ? 36 : 56, top: compact ? 8 : 40, right: width - (compact ? 8 : 16), bottom: legendTop - (compact ? 16 : 40) };
  const finite = series.flatMap((s) => s.values.filter(Number.isFinite));
  const [yMin, yMax, yStep] = niceRange(Math.min(0, ...finite), Math.max(0, ...finite));
  const [x0, x1] = [xs[0], xs[xs.length - 1]];
  const px = (v: number) => plot.left + ((v - x0) / (x1 - x0)) * (plot.right - plot.left);
  const py = (v: number) => plot.bottom - ((v - yMin) / (yMax - yMin)) * (plot.bottom - plot.top);
  const parts: string[] = [];
  if (title) parts.push(text(width / 2, 24, title, { size: 15, anchor: 'middle', maxWidth: width - 16 }));
  for (let i = 0; i <= 4; i++) {
    const vx = x0 + ((x1 - x0) * i) / 4;
    parts.push(element('line', { x1: px(vx), y1: plot.top, x2: px(vx), y2: plot.bottom, stroke: '#e4e4e4', 'stroke-width': 1 }));
    parts.push(text(px(vx), plot.bottom + font + 4, formatTick(vx, x1 - x0), { size: font, anchor: 'middle' }));
  }
  for (let vy = yMin; vy <= yMax + yStep / 2; vy += yStep) {
    parts.push(element('line', { x1: plot.left, y1: py(vy), x2: plot.right, y2: py(vy), stroke: '#e4e4e4', 'stroke-width': 1 }));
    parts.push(text(plot.left - 4, py(vy) + font / 3, formatTick(vy, yMax - yMin), { size: font, anchor: 'end' }));
  }
  if (yMin < 0 && yMax > 0) parts.push(element('line', { x1: plot.left, y1: py(0), x2: plot.right, y2: py(0), stroke: '#888', 'stroke-width': 1 }));
  parts.push(element('rect', { x: plot.left, y: plot.top, width: plot.right - plot.left, height: plot.bottom - plot.top, fill: 'none', stroke: '#444', 'stroke-width': 1 }));
  const groups = [...new Set(series.map((s) => s.group ?? s.label))];
  series.forEach((s, k) => {
    const colour = s.colour ?? PALETTE[groups.indexOf(s.group ?? s.label) % PALETTE.length];
    const points = s.values.flatMap((v, i) => (Number.isFinite(v) ? [`${num(px(xs[i]))},${num(py(v))}`] : [])).join(' ');
    parts.push(element('polyline', { points, fill: 'none', stroke: colour, 'stroke-width': compact ? 1.5 : 2, 'stroke-dasharray': s.dashed ? '5 3' : undefined, 'data-series': s.label }));
    const cy = legendTop + line * k + line / 2;
    parts.push(element('line', { x1: plot.left, y1: cy, x2: plot.left + 18, y2: cy, stroke: colour, 'stroke-width': 2.5, 'stroke-dasharray': s.dashed ? '5 3' : undefined }));
    parts.push(text(plot.left + 24, cy + font / 3, s.label, { size: font }));
  });
  if (!compact) {
    if (options.xLabel) parts.push(text((plot.left + plot.right) / 2, plot.bottom + 2 * font + 14, options.xLabel, { size: font, anchor: 'middle' }));
    if (options.yLabel) {
      parts.push(text(0, 0, options.yLabel, { size: font, anchor: 'middle' }).replace('<text ', `<text transform="translate(14 ${num((plot.top + plot.bottom) / 2)}) rotate(-90)" `));
    }
  }
  return svgDocument(width, height, parts.join(''), title || series.map((s) => s.label).join('; '));
}

/** An axis range on round ticks (1, 2 or 5 times a power of ten), about four of them, 0 included. */
function niceRange(low: number, high: number): [number, number, number] {
  if (!(high - low > 1e-12)) return [low - 1, high + 1, 0.5];
  const raw = (high - low) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  return [Math.floor(low / step - 1e-9) * step, Math.ceil(high / step - 1e-9) * step, step];
}
