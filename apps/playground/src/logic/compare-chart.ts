import { escapeXml } from '@xai/viz';

export interface ChartMethod {
  label: string;
  insertion: readonly number[];
  deletion: readonly number[];
}

/** A colour per method, spread around the hue circle, so 17 methods stay apart. */
export function methodColour(index: number, count: number): string {
  return `hsl(${Math.round((index * 360) / Math.max(count, 1))} 70% 40%)`;
}

/**
 * Every method's insertion (solid) and deletion (dashed) curve in one SVG chart: x the fraction
 * of pixels inserted or deleted, y the class probability; one legend row per method.
 */
export function compareChartSvg(methods: readonly ChartMethod[], width = 560): string {
  const line = 16;
  const plot = { left: 44, top: 28, right: width - 12, bottom: 250 };
  const height = plot.bottom + 36 + methods.length * line + 8;
  const yMax = Math.max(1, ...methods.flatMap((m) => [...m.insertion, ...m.deletion].filter(Number.isFinite)));
  const px = (f: number) => plot.left + f * (plot.right - plot.left);
  const py = (s: number) => plot.bottom - (s / yMax) * (plot.bottom - plot.top);
  const polyline = (scores: readonly number[], colour: string, dashed: boolean) => {
    const n = Math.max(scores.length - 1, 1);
    const points = scores.map((s, i) => `${px(i / n).toFixed(1)},${py(Number.isFinite(s) ? s : 0).toFixed(1)}`).join(' ');
    return `<polyline fill="none" stroke="${colour}" stroke-width="1.6"${dashed ? ' stroke-dasharray="5 3"' : ''} points="${points}"/>`;
  };
  const parts: string[] = [
    `<text x="${width / 2}" y="16" font-size="13" text-anchor="middle">Insertion (solid, higher is better) and deletion (dashed, lower is better)</text>`,
    `<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#9aa5b8"/>`,
  ];
  for (const t of [0, 0.5, 1]) {
    parts.push(`<text x="${px(t)}" y="${plot.bottom + 14}" font-size="10" text-anchor="middle">${t}</text>`);
    parts.push(`<text x="${plot.left - 4}" y="${py(t * yMax) + 3}" font-size="10" text-anchor="end">${Number((t * yMax).toPrecision(2))}</text>`);
  }
  parts.push(`<text x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 28}" font-size="10" text-anchor="middle">fraction of pixels inserted / deleted</text>`);
  methods.forEach((m, k) => {
    const colour = methodColour(k, methods.length);
    parts.push(polyline(m.insertion, colour, false), polyline(m.deletion, colour, true));
    const y = plot.bottom + 36 + k * line + 10;
    parts.push(
      `<line x1="${plot.left}" x2="${plot.left + 22}" y1="${y - 4}" y2="${y - 4}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${plot.left + 28}" y="${y}" font-size="11">${escapeXml(m.label)}</text>`,
    );
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="insertion and deletion curves of ${methods.length} methods">${parts.join('')}</svg>`;
}
