import { defaultClientConditions, defineConfig } from 'vite';
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

/**
 * onnxruntime-web's builds that load the Emscripten glue (`ort-wasm-simd-threaded.mjs`) from
 * `env.wasm.wasmPaths` instead of carrying it inline: the glue starts the wasm threads from its
 * own URL, which must stay a file of its own, not part of a bundled chunk (src/worker/onnx-runtime.ts).
 */
const ORT_EXTERNAL_GLUE = 'onnxruntime-web-use-extern-wasm';

export default defineConfig({
  // Relative asset URLs, so the built folder works from any path of a static host.
  base: './',
  plugins: [demoAssets(), tfjsThreadedWasm()],
  resolve: { conditions: [ORT_EXTERNAL_GLUE, ...defaultClientConditions] },
  worker: { format: 'es', plugins: () => [tfjsThreadedWasm()] },
  // `vite dev` pre-bundles tfjs-backend-wasm: the same patch there.
  optimizeDeps: { rolldownOptions: { plugins: [tfjsThreadedWasm()] } },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { headers: ISOLATION_HEADERS },
  preview: { host: '127.0.0.1', headers: ISOLATION_HEADERS },
});
