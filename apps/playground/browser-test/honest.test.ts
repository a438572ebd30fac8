// The page tells the truth: errors in view, preprocessing applied at once, colour bars with the
// map's values, one comparison at a time on one scale, and threaded wasm when isolated.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { preprocess, preprocessingPreset, type Classifier, type RawImage } from '@xai/core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunningBrowser } from './chromium.js';
import { SCREENSHOTS, chooseMethod, explain, idle, screenshot, snapshot, visibleMessage } from './page.js';
import { readPngRgba } from './png.js';
import type { RunningPreview } from './server.js';
import { closePlayground, openPlayground } from './session.js';

const photo = resolve(import.meta.dirname, '../node_modules/@xai/testing/fixtures/tiny-chelsea/image.png');
/** Small runs, so the comparison of every method stays quick. */
const SMALL: Record<string, string | number> = { n: 200, s: 8, p1: 0.5, seed: 3, steps: 8, samples: 4, noise: 0.1, window: 24, stride: 12 };

let server: RunningPreview;
let chromium: RunningBrowser;
let page: Page;
let model: Classifier;

beforeAll(async () => {
  ({ server, chromium, model, page } = await openPlayground());
});

afterAll(() => closePlayground({ server, chromium, model }));

/** Whether the element is inside the viewport (at least partly) as the page is scrolled now. */
function inView(selector: string): Promise<boolean> {
  return page.evaluate((s) => {
    const r = document.querySelector(s)!.getBoundingClientRect();
    return r.height > 0 && r.bottom > 0 && r.top < window.innerHeight && r.right > 0 && r.left < window.innerWidth;
  }, selector);
}

/** Sets a parameter's fields for every method, shown or not ("Compare all" reads them all). */
async function setAllFields(params: Record<string, string | number>): Promise<void> {
  await page.evaluate((values) => {
    for (const [name, value] of Object.entries(values)) {
      for (const input of document.querySelectorAll<HTMLInputElement>(`#params label[data-param="${name}"] input[type="number"]`)) input.value = String(value);
    }
  }, params);
}

describe('a playground that tells the truth', () => {
  test('served cross-origin isolated, wasm runs the threaded SIMD binary, and the badge says so', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    const backendInfo = (await snapshot(page)).backendInfo!;
    expect(backendInfo.id).toBe('wasm');
    expect(backendInfo.crossOriginIsolated).toBe(true);
    expect(backendInfo.wasm!.binary).toMatch(/^tfjs-backend-wasm-threaded-simd.*\.wasm$/);
    // The threaded build runs on every logical core (at most 8), as XNNPACK's thread pool reports
    // it: 2 threads on this 2-core machine, where tfjs's own rule (half the cores) gave 1.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const threads = Math.min(8, cores);
    expect(threads).toBeGreaterThan(1);
    expect(backendInfo.wasm).toMatchObject({ simd: true, threads, cores });
    expect(await page.textContent('#backend-badge')).toBe(`wasm · SIMD · ${threads} ${threads === 1 ? 'thread' : 'threads'}`);
    // The details open from the keyboard (and by a tap: it is a <summary>).
    await page.focus('#backend-details summary');
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('#backend-details', 'open')).not.toBeNull();
    expect(await page.textContent('#backend-notes')).toContain('threaded-simd');
    await page.keyboard.press('Enter');
  });

  test('a bad parameter: the message is beside the field, aria-invalid, and in view where the user is', async () => {
    await chooseMethod(page, 'rise');
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.locator('#param-n').fill('0');
    await page.locator('#explain').scrollIntoViewIfNeeded();
    await page.click('#explain');
    await idle(page);
    expect(await page.getAttribute('#param-n', 'aria-invalid')).toBe('true');
    const note = await page.textContent('#param-n-error');
    expect(note).toMatch(/^rise: n must be a whole number/);
    expect(await page.getAttribute('#param-n', 'aria-describedby')).toBe('param-n-error');
    expect(await visibleMessage(page)).toBe(note);
    expect(await inView('#param-n-error')).toBe(true);
    expect(await inView('#message')).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('param-n');
    expect(await page.getAttribute('#progress-label', 'aria-live')).toBe('polite');
    await screenshot(page, '20-bad-parameter-in-view');
    await page.locator('#param-n').fill('200');
    expect(await page.getAttribute('#param-n', 'aria-invalid')).toBeNull();
  });

  test("every map has a colour bar with the map's min and max; signed attributions get a diverging map", async () => {
    await explain(page, 'rise', SMALL);
    const { explained } = await snapshot(page);
    const [map] = explained!.maps;
    const bar = page.locator('#overlay-bar .colour-bar');
    expect(Number(await bar.getAttribute('data-min'))).toBe(Math.min(...map.data));
    expect(Number(await bar.getAttribute('data-max'))).toBe(Math.max(...map.data));
    // Every class's map, each on its own scale unless the scale is shared.
    const classBars = page.locator('#class-maps .colour-bar');
    expect(await classBars.count()).toBe(explained!.maps.length);
    for (const [k, m] of explained!.maps.entries()) {
      expect(Number(await classBars.nth(k).getAttribute('data-max'))).toBe(Math.max(...m.data));
    }
    // The focus is on the result after the run, and the AUCs stand beside a random map's.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('overlay-title');
    expect(await page.textContent('#curves')).toMatch(/insertion AUC \d\.\d{3} \(random map \d\.\d{3}\)/);
    await explain(page, 'integrated-gradients', SMALL);
    const ig = (await snapshot(page)).explained!.maps[0];
    expect(await page.isVisible('#signed-figure')).toBe(true);
    const signedBar = page.locator('#signed-bar .colour-bar');
    const low = Number(await signedBar.getAttribute('data-min'));
    expect(low).toBeLessThan(0);
    expect(Number(await signedBar.getAttribute('data-max'))).toBe(-low);
    expect(Number(await page.locator('#overlay-bar .colour-bar').getAttribute('data-max'))).toBe(Math.max(...ig.data));
    await screenshot(page, '21-colour-bars');
  });

  test('"Compare all" replaces the previous result: a fixed grid on one scale, one chart, "method k of n"', async () => {
    expect(await page.isVisible('#overlay-box')).toBe(true);
    await page.check('#shared-scale');
    await setAllFields(SMALL);
    // Every text the progress label shows, recorded in the page as it changes (a poll could miss a fast method).
    await page.evaluate(() => {
      const label = document.getElementById('progress-label')!;
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => seen.push(label.textContent ?? '')).observe(label, { childList: true, characterData: true, subtree: true });
    });
    await page.click('#compare');
    await page.waitForSelector('body[data-busy="true"]');
    expect(await page.isVisible('#overlay-box')).toBe(false);
    const { compared } = await snapshot(page);
    // The grid has a place for every method from the start.
    expect(await page.locator('#comparison > figure').count()).toBe(compared.length);
    await idle(page);
    const progress = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    expect(await visibleMessage(page)).toBeUndefined();
    expect(progress.some((p) => /^method \d+ of \d+ \(/.test(p))).toBe(true);
    expect(progress.some((p) => p.startsWith(`method 2 of ${compared.length}`))).toBe(true);
    const { comparison } = await snapshot(page);
    expect(comparison.map((c) => c.map.method)).toEqual(compared);
    expect(await page.locator('#comparison > figure').count()).toBe(compared.length);
    expect(await page.isVisible('#overlay-box')).toBe(false);
    // One scale: every tile's bar spans the lowest minimum to the highest maximum of all maps.
    const low = Math.min(...comparison.map((c) => Math.min(...c.map.data)));
    const high = Math.max(...comparison.map((c) => Math.max(...c.map.data)));
    for (const bar of await page.locator('#comparison .colour-bar').all()) {
      expect([Number(await bar.getAttribute('data-min')), Number(await bar.getAttribute('data-max'))]).toEqual([low, high]);
    }
    expect(await page.locator('#compare-curves svg polyline').count()).toBe(2 * compared.length);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('compare-title');
    await screenshot(page, '22-compare-1280');
    // Each map on its own scale when the scale is not shared.
    await page.uncheck('#shared-scale');
    const bars = page.locator('#comparison .colour-bar');
    for (const [k, entry] of comparison.entries()) {
      expect(Number(await bars.nth(k).getAttribute('data-max'))).toBe(Math.max(...entry.map.data));
    }
    // And Explain replaces the comparison in turn.
    await explain(page, 'grad-cam');
    expect(await page.isVisible('#compare-box')).toBe(false);
  });

  test('a preprocessing change re-predicts at once, with Node\'s numbers; the PNG export is full resolution', async () => {
    await page.setInputFiles('#image-file', { name: 'chelsea.png', mimeType: 'image/png', buffer: readFileSync(photo) });
    await idle(page);
    const before = await snapshot(page);
    expect([before.image!.width, before.image!.height]).toEqual([451, 300]);
    await page.selectOption('#preprocessing', 'imagenet');
    await idle(page);
    await page.selectOption('#resize', 'pil-bilinear');
    await idle(page);
    expect(await visibleMessage(page)).toBeUndefined();
    const after = await snapshot(page);
    expect(after.steps![0]).toBe('resize 451×300 → 96×96 (model size, pil-bilinear)');
    const raw: RawImage = { data: Uint8Array.from(after.image!.data), width: 451, height: 300, channels: 4 };
    const input = preprocess(raw, model.input, { ...preprocessingPreset('imagenet'), resize: 'pil-bilinear' });
    const logits = await model.predict(input);
    const probabilities = tf.softmax(logits);
    const expected = await probabilities.data();
    tf.dispose([input, logits, probabilities]);
    for (const p of after.top!) expect(Math.abs(p.probability - expected[p.classIndex])).toBeLessThan(1e-4);
    expect(after.top!.map((p) => p.probability)).not.toEqual(before.top!.map((p) => p.probability));
    await explain(page, 'grad-cam');
    const download = page.waitForEvent('download');
    await page.click('#download-png');
    const png = readPngRgba(readFileSync(await (await download).path()));
    expect([png.width, png.height]).toEqual([451, 300 + 46]);
    await page.selectOption('#preprocessing', '');
    await idle(page);
    await page.selectOption('#resize', '');
    await idle(page);
  });

  test('phone layout: one column, touch targets of 44 px, results scrolled into view', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await explain(page, 'grad-cam');
    expect(await inView('#overlay-title')).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth), 'nothing wider than the phone').toBeLessThanOrEqual(390);
    const small = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('button, select, input[type="number"], .downloads a, summary')]
        .filter((e) => e.offsetParent !== null)
        .map((e) => ({ what: e.id || e.textContent?.trim().slice(0, 20), height: e.getBoundingClientRect().height }))
        .filter((e) => e.height < 44),
    );
    expect(JSON.stringify(small)).toBe('[]');
    await page.screenshot({ path: resolve(SCREENSHOTS, '23-phone-result-viewport.png') });
    await screenshot(page, '23-phone-result');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: resolve(SCREENSHOTS, '24-phone-top-viewport.png') });
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, '25-desktop-result');
  });
});
