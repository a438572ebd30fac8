import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { preview, type PreviewServer } from 'vite';

const appRoot = resolve(import.meta.dirname, '..');

/** A port the OS says is free right now. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}

export interface RunningPreview {
  url: string;
  close(): Promise<void>;
}

/** `vite preview` of the built app on 127.0.0.1; the build itself is not this script's job. */
export async function startPreview(): Promise<RunningPreview> {
  if (!existsSync(resolve(appRoot, 'dist/index.html'))) {
    throw new Error('apps/playground/dist is missing: run `pnpm --filter playground build` first');
  }
  const port = await freePort();
  const server: PreviewServer = await preview({
    root: appRoot,
    configFile: resolve(appRoot, 'vite.config.ts'),
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}
