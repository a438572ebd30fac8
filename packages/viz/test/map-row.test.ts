import { describe, expect, it } from 'vitest';
import { mapRowSvg, VizError } from '../src/index.js';
import { dataUris, solidImage } from './helpers.js';

const ramp = (height: number, width: number, reverse = false) => ({
  data: Float32Array.from({ length: height * width }, (_, i) => (reverse ? height * width - i : i)),
  height,
  width,
});

describe('map row (the sanity checks figure)', () => {
  it('puts the image first, then each map with its title above and its caption below, in order', async () => {
    const svg = await mapRowSvg(
      [
        { title: 'original', map: ramp(8, 8) },
        { title: 'logits', map: ramp(8, 8, true), caption: 'ρ −1.00 · SSIM 0.10' },
      ],
      { image: solidImage(8, 8, [10, 20, 30]), title: 'Saliency, cascading randomisation', panelSize: 40 },
    );
    const titles = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(titles).toEqual(['Saliency, cascading randomisation', 'input', 'original', 'logits', 'ρ −1.00 · SSIM 0.10']);
    expect(dataUris(svg)).toHaveLength(3);
    // 3 panels of 40 with 8 between, 14 on each side: 164.
    expect(svg).toMatch(/^<svg[^>]* width="164"/);
  });

  it('wraps after `columns` panels', async () => {
    const wrapped = await mapRowSvg(
      Array.from({ length: 5 }, (_, i) => ({ title: `m${i}`, map: ramp(4, 4) })),
      { panelSize: 20, columns: 2 },
    );
    // Two columns: 14 + 20 + 8 + 20 + 14; three rows of (18 + 20 + 16) with 12 between, 14 above and below.
    expect(wrapped).toMatch(/^<svg[^>]* width="76" height="214"/);
  });

  it('refuses no maps, a bad grid and a bad column count', async () => {
    await expect(mapRowSvg([])).rejects.toThrow(VizError);
    await expect(mapRowSvg([{ title: 'x', map: { data: new Float32Array(3), height: 2, width: 2 } }])).rejects.toThrow(/map 1 \("x"\)/);
    await expect(mapRowSvg([{ title: 'x', map: ramp(2, 2) }], { columns: 0 })).rejects.toThrow(/columns must be a whole number ≥ 1, got 0/);
  });
});
