import type { RawImage, SaliencyMap } from '@xai/core';
import { classLabel, curvesSvg, maskGridTiles } from '@xai/viz';
import type { EvaluateResult, MaskSample } from '../protocol.js';
import { byId, canvasTile, element } from './dom.js';
import { drawRgba } from './images.js';
import type { OverlayView } from './overlay-view.js';

/** Every class's map (methods that map every class at once), small, each over the image. */
export function renderClassMaps(view: OverlayView, image: RawImage, maps: readonly SaliencyMap[]): void {
  const box = byId('classes-box');
  box.hidden = maps.length < 2;
  byId('class-maps').replaceChildren(
    ...maps.map((map) => {
      const { tile, canvas } = canvasTile(classLabel(map.classIndex, map.className));
      tile.dataset.class = String(map.classIndex);
      view.paint(canvas, image, map);
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

/** Insertion and deletion curves with their AUCs (the SVG comes from @xai/viz, built from numbers). */
export function renderCurves(curves: EvaluateResult | undefined, className?: string): void {
  byId('curves-box').hidden = !curves;
  if (!curves) return;
  const charts = (['insertion', 'deletion'] as const).map((kind) => {
    const curve = curves[kind];
    const svg = curvesSvg({ kind, scores: curve.scores, auc: curve.auc, classIndex: curve.classIndex, className });
    const holder = element('div', { class: 'curve', 'data-kind': kind, 'data-auc': String(curve.auc) });
    holder.innerHTML = svg;
    return holder;
  });
  byId('curves').replaceChildren(...charts);
}

export interface ComparisonEntry {
  map: SaliencyMap;
  curves: EvaluateResult;
}

/** The methods side by side with their insertion and deletion AUCs; `label` names a method id. */
export function renderComparison(
  view: OverlayView,
  image: RawImage,
  entries: readonly ComparisonEntry[],
  label: (method: string) => string,
): void {
  byId('compare-box').hidden = entries.length === 0;
  byId('comparison').replaceChildren(
    ...entries.map(({ map, curves }) => {
      const caption = `${label(map.method)}\nins ${curves.insertion.auc.toFixed(3)}, del ${curves.deletion.auc.toFixed(3)}`;
      const { tile, canvas } = canvasTile(caption);
      tile.dataset.method = map.method;
      view.paint(canvas, image, map);
      return tile;
    }),
  );
}
