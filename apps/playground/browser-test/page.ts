// Driving the playground page: the few actions and waits every test needs.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { PageImage, PageMap } from './reference.js';

export const SCREENSHOTS = resolve(import.meta.dirname, '../screenshots');

export interface Snapshot {
  backend?: string;
  model?: { name: string; input: { height: number; width: number; channels: number }; numClasses: number };
  image?: PageImage;
  top?: { classIndex: number; className?: string; probability: number }[];
  explained?: { method: string; maps: PageMap[] };
  curves?: { insertion: { scores: number[]; auc: number; classIndex: number }; deletion: { scores: number[]; auc: number; classIndex: number } };
  comparison: { map: PageMap; curves: { insertion: { auc: number }; deletion: { auc: number } } }[];
}

export function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate(() => (globalThis as unknown as { xaiPlayground: { snapshot(): Snapshot } }).xaiPlayground.snapshot());
}

export async function openApp(page: Page, url: string): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  await page.waitForSelector('body[data-ready]', { timeout: 90_000 });
  const ready = await page.getAttribute('body', 'data-ready');
  if (ready !== 'true') throw new Error(`The app did not start: ${await page.textContent('#message')} ${errors.join('; ')}`);
}

/** Waits until the page is idle again (a run finished, failed or was cancelled). */
export async function idle(page: Page, timeout = 180_000): Promise<void> {
  await page.waitForSelector('body[data-busy="false"]', { timeout });
}

export interface RunOptions {
  n?: number;
  seed?: number;
  s?: number;
  p1?: number;
}

/** Picks a method, sets its parameters, presses Explain and waits for the curves. */
export async function explain(page: Page, method: string, options: RunOptions = {}): Promise<void> {
  await page.selectOption('#method', method);
  if (method.startsWith('rise')) {
    if (options.n !== undefined) await page.fill('#n', String(options.n));
    if (options.seed !== undefined) await page.fill('#seed', String(options.seed));
    if (options.s !== undefined) await page.fill('#s', String(options.s));
    if (options.p1 !== undefined && method === 'rise') await page.fill('#p1', String(options.p1));
  }
  await page.click('#explain');
  await page.waitForSelector('body[data-busy="true"]', { timeout: 10_000 }).catch(() => undefined);
  await idle(page);
  const message = await visibleMessage(page);
  if (message) throw new Error(`Explain ${method} failed in the page: ${message}`);
  await page.waitForSelector('#curves-box:not([hidden]) .curve svg', { timeout: 10_000 });
}

export async function visibleMessage(page: Page): Promise<string | undefined> {
  const hidden = await page.getAttribute('#message', 'hidden');
  return hidden === null ? ((await page.textContent('#message')) ?? '') : undefined;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`), fullPage: true });
}
