import { describe, expect, it } from 'vitest';
import { figureSvg, symmetricRange } from '../src/index.js';
import { svgToPng } from '../src/node/index.js';
import { dataUris, decodeWithSharp, pngFromDataUri, rampMap, solidImage } from './helpers.js';

const map = { ...rampMap(8, 8), classIndex: 281, className: 'tabby <cat> & "co"', method: 'abs-cam-final', params: {} };

describe('figureSvg', () => {
  it('titles the image with class name, index and probability, and the overlay with the method id unless a label is given', async () => {
    const svg = await figureSvg(solidImage(40, 20, [200, 30, 30]), map, { probability: 0.87345 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('>tabby &lt;cat&gt; &amp; &quot;co&quot; (281), p = 0.873</text>');
    expect(svg).toContain('>abs-cam-final</text>');
    expect(svg).not.toContain('<cat>');
    const labelled = await figureSvg(solidImage(40, 20, [200, 30, 30]), map, { overlayTitle: 'Abs-CAM (Final)' });
    expect(labelled).toContain('>Abs-CAM (Final)</text>');
    expect(labelled).not.toContain('>abs-cam-final</text>');
  });

  it('embeds the image, the overlay and the colour bar as PNG data URIs, with range ticks', async () => {
    const svg = await figureSvg(solidImage(40, 20, [200, 30, 30]), { ...map, data: map.data.map((v) => v * 4 - 1) });
    const uris = dataUris(svg);
    expect(uris).toHaveLength(3);
    const left = await decodeWithSharp(pngFromDataUri(uris[0]));
    expect([left.width, left.height]).toEqual([40, 20]);
    expect(Array.from(left.data.subarray(0, 4))).toEqual([200, 30, 30, 255]);
    for (const tick of ['>-1</text>', '>1</text>', '>3</text>']) expect(svg).toContain(tick);
    expect(svg).not.toMatch(/(href|src)="(?!data:)/);
  });

  it('lets titles be replaced and works without class information', async () => {
    const plain = { ...rampMap(4, 4) };
    const svg = await figureSvg(solidImage(4, 4, [0, 0, 0]), plain, { imageTitle: 'input', overlayTitle: 'my map' });
    expect(svg).toContain('>input</text>');
    expect(svg).toContain('>my map</text>');
    const defaults = await figureSvg(solidImage(4, 4, [0, 0, 0]), { ...plain, classIndex: 3, method: 'rise' });
    expect(defaults).toContain('>class 3</text>');
    expect(defaults).toContain('>rise</text>');
  });

  it('renders to a PNG with sharp, image on the left and heat map on the right', async () => {
    const svg = await figureSvg(solidImage(64, 64, [200, 30, 30]), map, { panelSize: 200, alpha: 1, colormap: 'grey' });
    const png = await decodeWithSharp(await svgToPng(svg));
    const width = Number(/width="([\d.]+)"/.exec(svg)![1]);
    const height = Number(/height="([\d.]+)"/.exec(svg)![1]);
    expect([png.width, png.height]).toEqual([Math.round(width), Math.round(height)]);
    const pixel = (x: number, y: number) => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3));
    // Left panel starts at x = 16, y = 42 and is 200 px wide: the image colour.
    expect(pixel(116, 142)).toEqual([200, 30, 30]);
    // Right panel starts at 16 + 200 + 28 = 244: grey ramp from black (left) to white (right).
    expect(pixel(250, 142)[0]).toBeLessThan(30);
    expect(pixel(438, 142)[0]).toBeGreaterThan(225);
  });
});

describe('colour bar ticks', () => {
  it('read 0 for a minimum that is zero up to rounding', async () => {
    const data = new Float32Array([2.1e-9, 0.25, 0.5, 1]);
    const svg = await figureSvg(solidImage(2, 2, [0, 0, 0]), { data, height: 2, width: 2 });
    expect(svg).toContain('>0</text>');
    expect(svg).not.toContain('e-9');
    expect(svg).toContain('>0.75</text>');
  });
});

describe('signed attributions', () => {
  // A 2×2 map whose signed attribution (2 channels) sums to −2, 0, 1, 2 per pixel.
  const attribution = { data: new Float32Array([-1, -1, 0.5, -0.5, 1, 0, 3, -1]), channels: 2 };
  const attributed = { data: new Float32Array([2, 1, 1, 4]), height: 2, width: 2, classIndex: 1, method: 'saliency', attribution };

  it('symmetricRange is ±max|v|', () => {
    expect(symmetricRange([-2, 0.5, 1])).toEqual([-2, 2]);
    expect(symmetricRange([0.1, 3])).toEqual([-3, 3]);
    expect(symmetricRange([0, 0])).toEqual([-0, 0]);
  });

  it('adds a third panel: the channel sum in coolwarm centred on 0, ticks at −m, 0, m, beside the absolute map', async () => {
    const svg = await figureSvg(solidImage(2, 2, [0, 0, 0]), attributed, { overlayTitle: 'Saliency' });
    const uris = dataUris(svg);
    expect(uris).toHaveLength(5); // image, overlay, its bar, signed panel, its bar
    expect(svg).toContain('>Saliency, |attribution|</text>');
    expect(svg).toContain('>Saliency, signed</text>');
    for (const tick of ['>-2</text>', '>0</text>', '>2</text>']) expect(svg).toContain(tick);
    const signed = await decodeWithSharp(pngFromDataUri(uris[3]));
    const pixel = (i: number) => Array.from(signed.data.subarray(4 * i, 4 * i + 3));
    expect(pixel(0)).toEqual([59, 76, 192]); // −2 = −m: the blue end
    expect(pixel(1)).toEqual([221, 221, 221]); // 0: the neutral middle
    expect(pixel(3)).toEqual([180, 4, 38]); // 2 = m: the red end
    // Three panels are wider than two.
    const width = (s: string) => Number(/width="([\d.]+)"/.exec(s)![1]);
    const plain = await figureSvg(solidImage(2, 2, [0, 0, 0]), attributed, { signed: false });
    expect(dataUris(plain)).toHaveLength(3);
    expect(width(svg)).toBeGreaterThan(width(plain) + 300);
  });

  it('takes signed values given as an option, with its own title, and refuses a wrong size', async () => {
    const map = { ...rampMap(2, 2), method: 'x' };
    const svg = await figureSvg(solidImage(2, 2, [0, 0, 0]), map, { signed: { data: new Float32Array([0, 0, 0, 0]), height: 2, width: 2, title: 'delta' } });
    expect(svg).toContain('>delta</text>');
    expect(dataUris(svg)).toHaveLength(5);
    await expect(figureSvg(solidImage(2, 2, [0, 0, 0]), map, { signed: { data: new Float32Array(3), height: 2, width: 2 } })).rejects.toThrow(/signed map/);
    await expect(figureSvg(solidImage(2, 2, [0, 0, 0]), { ...attributed, attribution: { data: new Float32Array(3), channels: 2 } })).rejects.toThrow(/needs 8 values, got 3/);
  });
});
