import { defineConfig } from 'vite';
import { demoAssets } from './demo-assets.js';

export default defineConfig({
  // Relative asset URLs, so the built folder works from any path of a static host.
  base: './',
  plugins: [demoAssets()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  preview: { host: '127.0.0.1' },
});
