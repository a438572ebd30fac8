// Driving the playground page: the few actions and waits every test needs.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import type { PageImage, PageMap } from './reference.js';

export const SCREENSHOTS = resolve(import.meta.dirname, '../screenshots');

export interface Snapshot {
  backend?: string;
  backendInfo?: { id: string; crossOriginIsolated?: boolean; wasm?: { simd: boolean; threads: number; cores: number; binary: string } };
  /** The preprocessing steps applied to the image, one line each. */
  steps?: string[];
  /** The methods of the comparison shown, in grid order. */
  compared: string[];
  methods: { id: string; label: string; box: 'black' | 'white'; layers: 'none' | 'one' | 'many'; params: string[] }[];
  model?: {
    name: string;
    input: { height: number; width: number; channels: number };
    numClasses: number;
    whiteBox: boolean;
    defaultLayer?: string;
    engine: string;
    passes: { engine: string; threads?: number; workers?: number; backend?: string; inProcess?: string };
    /** Who computes layers and gradients (white-box models). */
    gradients?: string;
  };
  image?: PageImage;
  top?: { classIndex: number; className?: string; probability: number }[];
  /** The last run: its maps, seconds, and who computed its gradients (white-box methods). */
  explained?: { method: string; maps: PageMap[]; seconds: number; gradients?: string };
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

/** Parameter values by name; the fields the chosen method does not show are left alone. */
export type RunParams = Record<string, string | number>;

/** Picks a method and sets the fields it shows. */
export async function chooseMethod(page: Page, method: string, params: RunParams = {}): Promise<void> {
  await page.selectOption('#method', method);
  for (const [name, value] of Object.entries(params)) {
    const field = page.locator(`#params label[data-param="${name}"]:visible input, #params label[data-param="${name}"]:visible select`);
    if ((await field.count()) === 1) {
      if ((await field.evaluate((e) => e.tagName)) === 'SELECT') await field.selectOption(String(value));
      else await field.fill(String(value));
    }
  }
}

/** Presses Explain and waits until the page is idle again. */
export async function pressExplain(page: Page): Promise<void> {
  await page.click('#explain');
  await page.waitForSelector('body[data-busy="true"]', { timeout: 10_000 }).catch(() => undefined);
  await idle(page);
}

/** Picks a method, sets its parameters, presses Explain and waits for the curves. */
export async function explain(page: Page, method: string, params: RunParams = {}): Promise<void> {
  await chooseMethod(page, method, params);
  await pressExplain(page);
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
