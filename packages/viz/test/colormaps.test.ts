import { describe, expect, it } from 'vitest';
import { colormap, COLORMAP_NAMES, colormapStrip, DEFAULT_COLORMAP, DEFAULT_DIVERGING_COLORMAP, VizError } from '../src/index.js';

function near(actual: readonly number[], expected: readonly number[], tolerance: number): void {
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]), `channel ${i}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance));
}

describe('colormap', () => {
  it('offers jet (the default), viridis, turbo, inferno, grey and the diverging coolwarm', () => {
    expect(COLORMAP_NAMES).toEqual(['jet', 'viridis', 'turbo', 'inferno', 'grey', 'coolwarm']);
    expect(DEFAULT_DIVERGING_COLORMAP).toBe('coolwarm');
    expect(DEFAULT_COLORMAP).toBe('jet');
    expect(colormap()(0)).toEqual(colormap('jet')(0));
  });

  it("gives coolwarm Moreland's ends and neutral middle, blue below and red above, symmetric in lightness", () => {
    const coolwarm = colormap('coolwarm');
    expect(coolwarm(0)).toEqual([59, 76, 192]);
    expect(coolwarm(0.5)).toEqual([221, 221, 221]);
    expect(coolwarm(1)).toEqual([180, 4, 38]);
    for (const t of [0.1, 0.25, 0.4]) {
      const [r, , b] = coolwarm(t);
      expect(b, `t = ${t}`).toBeGreaterThan(r);
      const [r2, , b2] = coolwarm(1 - t);
      expect(r2, `t = ${1 - t}`).toBeGreaterThan(b2);
      // Equal distances from 0 read equally strong: similar lightness on both sides.
      const light = ([R, G, B]: number[]) => 0.2126 * R + 0.7152 * G + 0.0722 * B;
      expect(Math.abs(light(coolwarm(t)) - light(coolwarm(1 - t))), `t = ${t}`).toBeLessThan(30);
    }
  });

  it('gives jet its defining knots: dark blue, blue, cyan-green, yellow, red, dark red', () => {
    const jet = colormap('jet');
    expect(jet(0)).toEqual([0, 0, 128]);
    expect(jet(0.11)).toEqual([0, 0, 255]);
    expect(jet(0.375)).toEqual([Math.round((0.025 / 0.31) * 255), 255, Math.round((1 - 0.035 / 0.31) * 255)]);
    // Mid-way: r and b are both 0.15/0.31 of the way between their knots.
    expect(jet(0.5)).toEqual([123, 255, 123]);
    expect(jet(0.89)).toEqual([255, Math.round((0.02 / 0.27) * 255), 0]);
    expect(jet(1)).toEqual([128, 0, 0]);
  });

  it('matches published anchor colours of viridis and inferno within 5 levels', () => {
    const viridis = colormap('viridis');
    near(viridis(0), [0x44, 0x01, 0x54], 5);
    near(viridis(0.5), [0x21, 0x91, 0x8c], 5);
    near(viridis(1), [0xfd, 0xe7, 0x25], 5);
    const inferno = colormap('inferno');
    near(inferno(0), [0x00, 0x00, 0x04], 5);
    near(inferno(0.5), [0xbc, 0x37, 0x54], 5);
    near(inferno(1), [0xfc, 0xff, 0xa4], 5);
  });

  it('runs turbo from dark blue through green to dark red', () => {
    const turbo = colormap('turbo');
    const [r0, g0, b0] = turbo(0.1);
    expect(b0).toBeGreaterThan(Math.max(r0, g0));
    const [r5, g5, b5] = turbo(0.5);
    expect(g5).toBeGreaterThan(240);
    expect(g5).toBeGreaterThan(Math.max(r5, b5));
    const [r9, g9, b9] = turbo(0.9);
    expect(r9).toBeGreaterThan(Math.max(g9, b9));
    expect(turbo(1)[0]).toBeLessThan(turbo(0.9)[0]); // darkens at the top like jet
  });

  it('maps grey linearly', () => {
    const grey = colormap('grey');
    expect(grey(0)).toEqual([0, 0, 0]);
    expect(grey(0.5)).toEqual([128, 128, 128]);
    expect(grey(1)).toEqual([255, 255, 255]);
  });

  it('clamps t to [0, 1], treats NaN as 0 and always returns whole 8-bit values', () => {
    for (const name of COLORMAP_NAMES) {
      const paint = colormap(name);
      expect(paint(-3)).toEqual(paint(0));
      expect(paint(7)).toEqual(paint(1));
      expect(paint(Number.NaN)).toEqual(paint(0));
      for (let t = 0; t <= 1; t += 0.01) {
        for (const v of paint(t)) {
          expect(Number.isInteger(v) && v >= 0 && v <= 255).toBe(true);
        }
      }
    }
  });

  it('refuses an unknown name and lists the accepted ones', () => {
    expect(() => colormap('hot')).toThrow(VizError);
    expect(() => colormap('hot')).toThrow('Unknown colour map "hot"; accepted: jet, viridis, turbo, inferno, grey');
    expect(() => colormap('toString')).toThrow(/accepted/);
  });

  it('draws a colour bar strip with the high end on top', () => {
    const strip = colormapStrip('jet', 10);
    expect([strip.width, strip.height]).toEqual([1, 10]);
    expect(Array.from(strip.data.subarray(0, 4))).toEqual([128, 0, 0, 255]);
    expect(Array.from(strip.data.subarray(36, 40))).toEqual([0, 0, 128, 255]);
    const row = colormapStrip('grey', 3, false);
    expect([row.width, row.height]).toEqual([3, 1]);
    expect(Array.from(row.data)).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
  });
});
