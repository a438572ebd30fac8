// The app as every browser test file starts it: the built playground served, Chromium, the demo model in Node.
import type { Page } from 'playwright-core';
import type { Classifier } from '@xai/core';
import { launchChromium, type RunningBrowser } from './chromium.js';
import { openApp } from './page.js';
import { demoModel, startNodeBackend } from './reference.js';
import { startPreview, type RunningPreview } from './server.js';

export interface PlaygroundSession {
  server: RunningPreview;
  chromium: RunningBrowser;
  /** The demo model, loaded in Node, for reference results. */
  model: Classifier;
  /** A page with the app open and ready. */
  page: Page;
}

export async function openPlayground(): Promise<PlaygroundSession> {
  const server = await startPreview();
  const chromium = await launchChromium();
  await startNodeBackend();
  const model = await demoModel(server.url);
  const page = await chromium.context.newPage();
  await openApp(page, server.url);
  return { server, chromium, model, page };
}

export async function closePlayground(session: Partial<PlaygroundSession>): Promise<void> {
  session.model?.dispose();
  await session.chromium?.close();
  await session.server?.close();
}
