import { describe, expect, it } from 'vitest';
import { lineChartSvg, metricsSectionHtml, reportHtml, type MetricsSection } from '../src/index.js';
import { rampMap, solidImage } from './helpers.js';

function section(): MetricsSection {
  return {
    metrics: [
      { name: 'insertion', better: 'higher' },
      { name: 'deletion', better: 'lower' },
      { name: 'road', better: 'higher' },
    ],
    methods: [
      { method: 'rise', label: 'RISE' },
      { method: 'grad-cam', label: 'Grad-CAM <b>' },
    ],
    cells: {
      rise: { insertion: { mean: 0.61234, interval: [0.5, 0.7], images: 3 }, deletion: { mean: 0.2, interval: [0.1, 0.3], images: 3 }, road: { mean: null, interval: null, images: 0 } },
      'grad-cam': { insertion: { mean: 0.4, interval: [0.3, 0.5], images: 3 }, deletion: { mean: 0.1, interval: [0.05, 0.15], images: 3 }, road: { mean: 0.05, interval: [0.01, 0.09], images: 3 } },
    },
    rankings: { insertion: ['rise', 'grad-cam'], deletion: ['grad-cam', 'rise'], road: ['grad-cam'] },
    agreement: { metrics: ['insertion', 'deletion', 'road'], tau: [[1, -1, null], [-1, 1, null], [null, null, null]] },
    intervalNote: '95 % bootstrap interval',
    meanCurves: [
      { kind: 'insertion', scores: [0.1, 0.5, 0.9], auc: 0.5, classIndex: 0, label: 'RISE' },
      { kind: 'deletion', scores: [0.9, 0.5, 0.1], auc: 0.5, classIndex: 0, label: 'RISE' },
    ],
    meanRoad: { percentiles: [10, 50, 90], series: [{ label: 'Grad-CAM MoRF', values: [-0.1, -0.2, -0.3] }, { label: 'Grad-CAM LeRF', values: [0, -0.01, -0.05], dashed: true }] },
  };
}

describe('metricsSectionHtml', () => {
  it('shows means with their intervals, the best of each metric in bold, and the direction of each metric', () => {
    const html = metricsSectionHtml(section());
    expect(html).toContain('<th>insertion ↑</th><th>deletion ↓</th><th>road ↑</th>');
    expect(html).toContain('<td class="num best" title="3 images">0.612<br><small>[0.500, 0.700]</small></td>');
    expect(html).toContain('<td class="num best" title="3 images">0.100<br><small>[0.050, 0.150]</small></td>');
    expect(html).toContain('<tr><td>RISE</td><td class="num best" title="3 images">0.612<br><small>[0.500, 0.700]</small></td><td class="num" title="3 images">0.200');
    // No value: a dash.
    expect(html).toMatch(/0\.300\]<\/small><\/td><td class="num">–<\/td><\/tr>/);
    expect(html).toContain('Grad-CAM &lt;b&gt;');
    expect(html).not.toContain('Grad-CAM <b>');
  });

  it('lists each ranking best first and the agreement matrix', () => {
    const html = metricsSectionHtml(section());
    expect(html).toContain('<tr><td>deletion ↓</td><td>1. Grad-CAM &lt;b&gt; · 2. RISE</td></tr>');
    expect(html).toContain('<tr><th>insertion</th><td class="num">1.00</td><td class="num">-1.00</td><td class="num">–</td></tr>');
    expect(html).toContain("Kendall's τ");
  });

  it('draws the mean curves: insertion, deletion and ROAD', () => {
    const html = metricsSectionHtml(section());
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('Mean ROAD curves');
    expect(html).toContain('data-series="Grad-CAM LeRF"');
  });

  it('goes into the report after the summary, with ROAD curves and scores per image', async () => {
    const html = await reportHtml({
      title: 'Comparison',
      rows: [
        {
          name: 'a.png',
          image: solidImage(8, 8, [1, 2, 3]),
          results: [{ method: 'rise', map: rampMap(8, 8), road: { percentiles: [10, 50, 90], morf: [-0.1, -0.2, -0.3], lerf: [0, 0, -0.1] }, scores: [{ name: 'sparseness', value: 0.25 }] }],
        },
      ],
      metrics: section(),
    });
    expect(html.indexOf('<table class="summary">')).toBeLessThan(html.indexOf('<table class="metrics">'));
    expect(html).toContain('data-series="ROAD MoRF"');
    expect(html).toContain('sparseness 0.250');
  });
});

describe('lineChartSvg', () => {
  it('refuses mismatched series and non-increasing x', () => {
    expect(() => lineChartSvg([{ label: 'a', values: [1, 2] }], { x: [1, 2, 3] })).toThrow(/has 2 values for 3 x values/);
    expect(() => lineChartSvg([{ label: 'a', values: [1, 2] }], { x: [2, 1] })).toThrow(/increasing/);
    expect(() => lineChartSvg([], { x: [1, 2] })).toThrow(/at least one series/);
  });
});
