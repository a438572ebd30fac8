import { curvesSvg, type CurveSeries } from '../svg/curves.js';
import { lineChartSvg, type LineSeries } from '../svg/line-chart.js';
import { escapeXml as escape } from '../svg/markup.js';

/** One metric as the comparison shows it. */
export interface MetricColumn {
  name: string;
  /** Which direction of the number is better. */
  better: 'higher' | 'lower';
}

export interface MetricCell {
  mean: number | null;
  /** The 95 % bootstrap interval of the mean over images. */
  interval: [number, number] | null;
  images: number;
}

/** The methods × metrics comparison: the table, each metric's ranking, the rankings' agreement and the mean curves. */
export interface MetricsSection {
  metrics: readonly MetricColumn[];
  methods: ReadonlyArray<{ method: string; label: string }>;
  /** `cells[method][metric]`. */
  cells: Readonly<Record<string, Readonly<Record<string, MetricCell>>>>;
  /** Per metric, the methods best first. */
  rankings: Readonly<Record<string, readonly string[]>>;
  /** Kendall's τ between every pair of metrics' rankings: `tau[i][j]` for `metrics[i]`, `metrics[j]`. */
  agreement: { metrics: readonly string[]; tau: ReadonlyArray<ReadonlyArray<number | null>> };
  /** How the interval was made, e.g. `95 % bootstrap interval over images (1000 resamples, seed 0)`. */
  intervalNote?: string;
  /** Mean Insertion/Deletion curves per method. */
  meanCurves?: ReadonlyArray<CurveSeries>;
  /** Mean ROAD curves per method (x: the percentiles). */
  meanRoad?: { percentiles: readonly number[]; series: ReadonlyArray<LineSeries> };
}

const format = (v: number | null | undefined, digits = 3) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

/** The section as HTML: every text escaped, charts as inline SVG. */
export function metricsSectionHtml(section: MetricsSection): string {
  const label = new Map(section.methods.map((m) => [m.method, m.label]));
  const nameOf = (method: string) => label.get(method) ?? method;
  const arrow = (m: MetricColumn) => (m.better === 'higher' ? '↑' : '↓');
  const head = section.metrics.map((m) => `<th>${escape(m.name)} ${arrow(m)}</th>`).join('');
  const rows = section.methods
    .map(({ method }) => {
      const cells = section.metrics
        .map((m) => {
          const cell = section.cells[method]?.[m.name];
          if (!cell || cell.mean === null) return '<td class="num">–</td>';
          const interval = cell.interval ? `<br><small>[${format(cell.interval[0])}, ${format(cell.interval[1])}]</small>` : '';
          const best = section.rankings[m.name]?.[0] === method ? ' best' : '';
          return `<td class="num${best}" title="${cell.images} images">${format(cell.mean)}${interval}</td>`;
        })
        .join('');
      return `<tr><td>${escape(nameOf(method))}</td>${cells}</tr>`;
    })
    .join('');
  const parts = [
    '<h2>Methods × metrics</h2>',
    `<p class="note">Mean over images${section.intervalNote ? `, with the ${escape(section.intervalNote)}` : ''}; ↑ higher is better, ↓ lower is better; the best method of each metric in bold.</p>`,
    `<table class="metrics"><thead><tr><th>method</th>${head}</tr></thead><tbody>${rows}</tbody></table>`,
    '<h2>Rankings</h2><table class="rankings"><thead><tr><th>metric</th><th>methods, best first</th></tr></thead><tbody>' +
      section.metrics
        .map((m) => `<tr><td>${escape(m.name)} ${arrow(m)}</td><td>${(section.rankings[m.name] ?? []).map((r, i) => `${i + 1}. ${escape(nameOf(r))}`).join(' · ') || '–'}</td></tr>`)
        .join('') +
      '</tbody></table>',
    agreementHtml(section.agreement),
  ];
  const charts: string[] = [];
  if (section.meanCurves && section.meanCurves.length > 0) {
    for (const kind of ['insertion', 'deletion'] as const) {
      const curves = section.meanCurves.filter((c) => c.kind === kind);
      if (curves.length) charts.push(curvesSvg(curves, { title: `Mean ${kind} curves` }));
    }
  }
  if (section.meanRoad && section.meanRoad.series.length > 0) {
    charts.push(
      lineChartSvg(section.meanRoad.series, {
        x: section.meanRoad.percentiles,
        title: 'Mean ROAD curves (MoRF solid, LeRF dashed)',
        xLabel: 'percentile',
        yLabel: 'change in probability',
        height: 340 + 17 * Math.max(0, section.meanRoad.series.length - 4),
      }),
    );
  }
  if (charts.length) parts.push(`<h2>Mean curves</h2><div class="charts">${charts.join('')}</div>`);
  return parts.join('\n');
}

function agreementHtml(agreement: MetricsSection['agreement']): string {
  if (agreement.metrics.length < 2) return '';
  const head = agreement.metrics.map((m) => `<th>${escape(m)}</th>`).join('');
  const rows = agreement.metrics
    .map((m, i) => `<tr><th>${escape(m)}</th>${agreement.tau[i].map((t) => `<td class="num">${format(t, 2)}</td>`).join('')}</tr>`)
    .join('');
  return (
    "<h2>Do the metrics agree?</h2><p class=\"note\">Kendall's τ between the metrics' rankings of the methods: 1 the same order, −1 the reverse, – when undefined (fewer than two methods, or all tied).</p>" +
    `<table class="agreement"><thead><tr><th></th>${head}</tr></thead><tbody>${rows}</tbody></table>`
  );
}
