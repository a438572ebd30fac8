import { describe, expect, it } from 'vitest';
import { curvesSvg, type Curve } from '../src/index.js';

const insertion: Curve = { scores: [0.1, 0.5, 0.7, 0.8, 0.9], auc: 0.6125, kind: 'insertion', classIndex: 1, className: 'tabby' };
const deletion: Curve = { scores: [0.9, 0.4, 0.2, 0.1, 0.05, 0.05, 0.0], auc: 0.2, kind: 'deletion', classIndex: 1, className: 'tabby' };

function polylines(svg: string): Array<{ kind: string; points: number[][] }> {
  return [...svg.matchAll(/<polyline points="([^"]+)"[^>]*data-kind="(\w+)"/g)].map((m) => ({
    kind: m[2],
    points: m[1].split(' ').map((p) => p.split(',').map(Number)),
  }));
}

describe('curvesSvg', () => {
  it('draws one polyline of n + 1 points per curve and puts each AUC in the legend', () => {
    const svg = curvesSvg([insertion, deletion]);
    const lines = polylines(svg);
    expect(lines.map((l) => [l.kind, l.points.length])).toEqual([['insertion', 5], ['deletion', 7]]);
    expect(svg).toContain('>insertion (AUC = 0.613)</text>');
    expect(svg).toContain('>deletion (AUC = 0.200)</text>');
    expect(svg).toContain('>Insertion and deletion: tabby (1)</text>');
  });

  it('spreads points evenly over x ∈ [0, 1] and puts higher probabilities higher', () => {
    const [line] = polylines(curvesSvg(insertion));
    const xs = line.points.map((p) => p[0]);
    const step = xs[1] - xs[0];
    xs.forEach((x, i) => expect(x).toBeCloseTo(xs[0] + i * step, 1));
    const ys = line.points.map((p) => p[1]);
    for (let i = 1; i < ys.length; i++) expect(ys[i]).toBeLessThan(ys[i - 1]);
  });

  it('shows the AUC in the title of a single curve, and labels the axes', () => {
    const svg = curvesSvg(insertion);
    expect(svg).toContain('>Insertion: tabby (1), AUC = 0.613</text>');
    expect(svg).toContain('>fraction of pixels</text>');
    expect(svg).toContain('>probability</text>');
    expect(curvesSvg(deletion, { title: 'a <b>' })).toContain('>a &lt;b&gt;</text>');
  });

  it('labels curves of several methods', () => {
    const svg = curvesSvg([{ ...insertion, label: 'RISE' }, { ...insertion, label: 'Abs-CAM' }]);
    expect(svg).toContain('>RISE insertion (AUC = 0.613)</text>');
    expect(svg).toContain('>Abs-CAM insertion (AUC = 0.613)</text>');
    const strokes = [...svg.matchAll(/<polyline[^>]*stroke="(#\w+)"/g)].map((m) => m[1]);
    expect(new Set(strokes).size).toBe(2);
  });

  it('refuses empty input and too-short curves', () => {
    expect(() => curvesSvg([])).toThrow('curvesSvg needs at least one curve');
    expect(() => curvesSvg({ ...insertion, scores: [0.5] })).toThrow('The insertion curve needs at least 2 scores, got 1');
  });
});
