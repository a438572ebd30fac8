import type { RawImage, SaliencyMap } from '@xai/core';
import { classLabel, curvesSvg, maskGridTiles } from '@xai/viz';
import { compareChartSvg } from '../logic/compare-chart.js';
import { formatValue, mapRange, sharedRange } from '../logic/scales.js';
import type { EvaluateResult, MaskSample, MethodInfo } from '../protocol.js';
import { byId, canvasTile, element } from './dom.js';
import { drawRgba } from './images.js';
import type { OverlayView } from './overlay-view.js';

/** The range a grid's maps are drawn on: one for all when the scale is shared, else each its own. */
function gridRange(view: OverlayView, maps: readonly SaliencyMap[]): [number, number] | undefined {
  return view.style.shared && maps.length > 1 ? sharedRange(maps) : undefined;
}

function ownRange(map: SaliencyMap): string {
  const [low, high] = mapRange(map);
  return `range ${formatValue(low)} – ${formatValue(high)}`;
}

/** Every class's map (methods that map every class at once), small, each over the image with its colour bar. */
export function renderClassMaps(view: OverlayView, image: RawImage, maps: readonly SaliencyMap[]): void {
  const box = byId('classes-box');
  box.hidden = maps.length < 2;
  const range = gridRange(view, maps);
  byId('class-maps').replaceChildren(
    ...maps.map((map) => {
      const { tile, canvas } = canvasTile(classLabel(map.classIndex, map.className));
      tile.dataset.class = String(map.classIndex);
      tile.append(view.paint(canvas, image, map, range, range ? 'shared' : undefined));
      return tile;
    }),
  );
}

/** Masks and the image seen through them. */
export function renderMasks(image: RawImage, masks: MaskSample | undefined): void {
  byId('masks-box').hidden = !masks;
  if (!masks) {
    byId('masks').replaceChildren();
    return;
  }
  const layout = maskGridTiles(masks, image, { count: masks.count, tileSize: 88 });
  byId('masks').replaceChildren(
    ...layout.tiles.flatMap((t) => {
      const mask = canvasTile(`mask ${t.index}`, 'tile small');
      drawRgba(mask.canvas, t.mask);
      if (!t.masked) return [mask.tile];
      const masked = canvasTile(`image × mask ${t.index}`, 'tile small');
      drawRgba(masked.canvas, t.masked);
      return [mask.tile, masked.tile];
    }),
  );
}

/** `0.812 (random map 0.503)`: an AUC beside the random map's on the same image. */
export function aucText(curves: EvaluateResult, kind: 'insertion' | 'deletion'): string {
  return `${curves[kind].auc.toFixed(3)} (random map ${curves.random[kind].toFixed(3)})`;
}

/** Insertion and deletion curves with their AUCs and the random map's (the SVG comes from @xai/viz). */
export function renderCurves(curves: EvaluateResult | undefined, className?: string): void {
  byId('curves-box').hidden = !curves;
  if (!curves) return;
  const charts = (['insertion', 'deletion'] as const).map((kind) => {
    const curve = curves[kind];
    const svg = curvesSvg({ kind, scores: curve.scores, auc: curve.auc, classIndex: curve.classIndex, className });
    const holder = element('div', { class: 'curve', 'data-kind': kind, 'data-auc': String(curve.auc), 'data-random-auc': String(curves.random[kind]) });
    holder.innerHTML = svg;
    const better = kind === 'insertion' ? 'higher is better' : 'lower is better';
    holder.append(element('p', { class: 'auc-line' }, [`${kind} AUC ${aucText(curves, kind)} — ${better}`]));
    return holder;
  });
  byId('curves').replaceChildren(...charts);
}

export interface ComparisonEntry {
  map: SaliencyMap;
  curves: EvaluateResult;
}

/**
 * The comparison: a fixed grid with a place for every method from the start (filled as each
 * finishes), all maps on one scale when the scale is shared, and every curve in one chart.
 */
export function renderComparison(
  view: OverlayView,
  image: RawImage,
  methods: readonly MethodInfo[],
  entries: readonly ComparisonEntry[],
): void {
  byId('compare-box').hidden = methods.length === 0;
  const maps = entries.map((e) => e.map);
  const range = gridRange(view, maps);
  byId('compare-scale').textContent = range
    ? `All maps on one colour scale, ${formatValue(range[0])} to ${formatValue(range[1])}; each caption gives the map's own range.`
    : "Each map on its own colour scale (its minimum to its maximum).";
  byId('comparison').replaceChildren(
    ...methods.map((method) => {
      const entry = entries.find((e) => e.map.method === method.id);
      if (!entry) {
        const waiting = element('figure', { class: 'tile pending', 'data-method': method.id }, [element('div', { class: 'placeholder' }, ['waiting…']), element('figcaption', {}, [method.label])]);
        return waiting;
      }
      const { map, curves } = entry;
      const caption = `${method.label}\nins ${curves.insertion.auc.toFixed(3)} · random ${curves.random.insertion.toFixed(3)}\ndel ${curves.deletion.auc.toFixed(3)} · random ${curves.random.deletion.toFixed(3)}\n${ownRange(map)}`;
      const { tile, canvas } = canvasTile(caption);
      tile.dataset.method = map.method;
      tile.append(view.paint(canvas, image, map, range, range ? 'shared' : undefined));
      return tile;
    }),
  );
  const chart = byId('compare-curves');
  chart.innerHTML = entries.length
    ? compareChartSvg(
        entries.map(({ map, curves }) => ({
          label: `${methods.find((m) => m.id === map.method)?.label ?? map.method}: ins ${curves.insertion.auc.toFixed(3)}, del ${curves.deletion.auc.toFixed(3)}`,
          insertion: curves.insertion.scores,
          deletion: curves.deletion.scores,
        })),
      )
    : '';
}
