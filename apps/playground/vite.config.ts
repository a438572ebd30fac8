import { defineConfig } from 'vite';
import { demoAssets } from './demo-assets.js';
import { tfjsThreadedWasm } from './tfjs-threads.js';

/**
 * Cross-origin isolation, so the page may use SharedArrayBuffer and tfjs-wasm runs threaded.
 * A static host must send the same two headers with every file (see README).
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  // Relative asset URLs, so the built folder works from any path of a static host.
  base: './',
  plugins: [demoAssets(), tfjsThreadedWasm()],
  worker: { format: 'es', plugins: () => [tfjsThreadedWasm()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
});
