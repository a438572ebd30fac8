import { join } from 'node:path';
import { deprocess, npyToFloat32, type Classifier, type RawImage, type SaliencyMap } from '@xai/core';
import { readNpyFile } from '@xai/core/node';
import type { CurveResult } from '@xai/metrics';
import type { MaskSource } from '@xai/rise';
import type { Curve, ReportRow } from '@xai/viz';
import { readImage, writeCurves, writeFigure, writeMaskGrid, writeReport as writeHtmlReport } from '@xai/viz/node';
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

/** report.html of `xai compare`: one row per image with every method's overlay and curves. */
export async function writeCompareReport(path: string, results: CompareResults, outDir: string): Promise<void> {
  const rows: ReportRow[] = [];
  for (const image of results.images) {
    let pixels: RawImage;
    try {
      pixels = await readImage(image.path);
    } catch {
      continue; // the source image moved since the run; the numbers are still in results.json
    }
    const methodRows = [];
    for (const [method, result] of Object.entries(image.methods)) {
      const array = await readNpyFile(join(outDir, result.map));
      const [height, width] = array.shape;
      const curve = (kind: 'insertion' | 'deletion') => ({ ...result[kind], kind, classIndex: image.classIndex, className: image.className });
      methodRows.push({
        method,
        label: registry.label(method),
        map: { data: npyToFloat32(array), height, width, method, classIndex: image.classIndex, className: image.className },
        insertion: curve('insertion'),
        deletion: curve('deletion'),
      });
    }
    rows.push({ name: image.path, image: pixels, classIndex: image.classIndex, className: image.className, probability: image.probability, results: methodRows });
  }
  const summary = results.methods.map((method) => ({
    method,
    label: registry.label(method),
    images: results.summary[method].insertion.images,
    insertion: results.summary[method].insertion.meanAuc,
    deletion: results.summary[method].deletion.meanAuc,
  }));
  await writeHtmlReport(path, {
    title: 'xai compare',
    subtitle: `model: ${results.model} — ${results.images.length} images`,
    rows,
    summary,
    failures: results.failed.map((f) => ({ name: f.path, reason: f.error })),
  });
}
