// A Vite plugin that ships the zoo's demo model and sample images with the app, under demo/.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const zoo = resolve(here, 'node_modules/@xai/zoo');
const IMAGE = /\.(png|jpe?g|webp|gif|bmp)$/i;

/** What the app finds in demo/index.json. */
export interface DemoIndex {
  /** True when the trained model was found (demo/model/model.json). */
  model: boolean;
  /** Sample image file names under demo/samples/. */
  samples: string[];
}

function filesIn(folder: string, keep: (name: string) => boolean = () => true): string[] {
  return existsSync(folder) ? readdirSync(folder).filter(keep).sort() : [];
}

/** The zoo's samples/index.json lists the images (beside their ground-truth masks); else every non-mask image. */
function sampleImages(folder: string): string[] {
  const indexFile = join(folder, 'index.json');
  if (existsSync(indexFile)) {
    const entries = JSON.parse(readFileSync(indexFile, 'utf8')) as { image?: string }[];
    return entries.map((e) => e.image).filter((name): name is string => !!name && existsSync(join(folder, name)));
  }
  return filesIn(folder, (name) => IMAGE.test(name) && !name.includes('.mask.'));
}

/** Every file to publish: its path under demo/ and where it is on disk. */
function demoFiles(): { files: Map<string, string>; index: DemoIndex } {
  const files = new Map<string, string>();
  const modelFiles = filesIn(join(zoo, 'model'), (name) => !name.endsWith('.md'));
  for (const name of modelFiles) files.set(`model/${name}`, join(zoo, 'model', name));
  // Every sample file ships (images, ground-truth masks and JSON); the index lists the images.
  const samples = sampleImages(join(zoo, 'samples'));
  for (const name of filesIn(join(zoo, 'samples'))) files.set(`samples/${name}`, join(zoo, 'samples', name));
  return { files, index: { model: modelFiles.includes('model.json'), samples } };
}

const CONTENT_TYPES: Record<string, string> = { json: 'application/json', png: 'image/png', bin: 'application/octet-stream' };

export function demoAssets(): Plugin {
  return {
    name: 'xai-demo-assets',
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const path = decodeURIComponent((request.url ?? '').split('?')[0]);
        if (!path.startsWith('/demo/')) return next();
        const { files, index } = demoFiles();
        const relative = path.slice('/demo/'.length);
        const body = relative === 'index.json' ? JSON.stringify(index) : files.has(relative) ? readFileSync(files.get(relative)!) : undefined;
        if (body === undefined) return next();
        response.setHeader('Content-Type', CONTENT_TYPES[relative.split('.').pop() ?? ''] ?? 'application/octet-stream');
        response.end(body);
      });
    },
    generateBundle() {
      const { files, index } = demoFiles();
      for (const [relative, source] of files) {
        this.emitFile({ type: 'asset', fileName: `demo/${relative}`, source: readFileSync(source) });
      }
      this.emitFile({ type: 'asset', fileName: 'demo/index.json', source: JSON.stringify(index, null, 2) });
    },
  };
}
