import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { preview, type Plugin, type PreviewServer } from 'vite';

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

export interface PreviewOptions {
  /** False: without the config's COOP/COEP headers, as a plain static host serves it; the page is then not cross-origin isolated. */
  isolated?: boolean;
  /** Paths answered with 404, as if the build had left those files out. */
  missing?: RegExp;
}

/** `vite preview` of the built app on 127.0.0.1; the build itself is not this script's job. */
export async function startPreview(options: PreviewOptions = {}): Promise<RunningPreview> {
  const { isolated = true, missing } = options;
  const refuse: Plugin = {
    name: 'browser-test:missing-files',
    configurePreviewServer(server) {
      server.middlewares.use((request, response, next) => {
        if (!missing || !missing.test(request.url ?? '')) return next();
        response.statusCode = 404;
        response.end('not here');
      });
    },
  };
  if (!existsSync(resolve(appRoot, 'dist/index.html'))) {
    throw new Error('apps/playground/dist is missing: run `pnpm --filter playground build` first');
  }
  const port = await freePort();
  const server: PreviewServer = await preview({
    root: appRoot,
    // The config's plugins only build; preview needs its headers, and nothing else of it.
    configFile: isolated ? resolve(appRoot, 'vite.config.ts') : false,
    logLevel: 'warn',
    plugins: [refuse],
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}
