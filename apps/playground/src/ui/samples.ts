import { DEMO_MODEL, generateSample } from '@xai/zoo';
import type { DemoIndex } from '../../demo-assets.js';
import { byId, element } from './dom.js';

export interface Sample {
  name: string;
  load(): Promise<Blob>;
}

/** Seed and indices of the samples drawn in the page when the build found no sample files. */
const FALLBACK = { seed: 7, count: 4 };

/** The demo's sample images: the zoo's files when the build shipped them, else drawn by its generator. */
export async function demoSamples(demoBase: string): Promise<Sample[]> {
  const index = (await fetch(new URL('index.json', demoBase)).then((r) => (r.ok ? r.json() : undefined)).catch(() => undefined)) as
    | DemoIndex
    | undefined;
  if (index && index.samples.length > 0) {
    return index.samples.map((file) => ({
      name: file,
      load: () => fetch(new URL(`samples/${file}`, demoBase)).then((r) => r.blob()),
    }));
  }
  return Array.from({ length: FALLBACK.count }, (_, i) => ({
    name: `${DEMO_MODEL.classNames[i % DEMO_MODEL.classNames.length]}-${i}.png`,
    load: () => generatedPng(FALLBACK.seed, i),
  }));
}

async function generatedPng(seed: number, index: number): Promise<Blob> {
  const { image } = generateSample(seed, index, { size: DEMO_MODEL.inputSize });
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  for (let p = 0; p < image.width * image.height; p++) {
    rgba.set(image.data.subarray(3 * p, 3 * p + 3), 4 * p);
    rgba[4 * p + 3] = 255;
  }
  const canvas = new OffscreenCanvas(image.width, image.height);
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, image.width, image.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** Thumbnail buttons; `choose` runs when one is clicked. */
export async function renderSamples(samples: readonly Sample[], choose: (sample: Sample) => void): Promise<void> {
  const buttons = await Promise.all(
    samples.map(async (sample, i) => {
      const img = element('img', { alt: sample.name, src: URL.createObjectURL(await sample.load()) });
      const button = element('button', { type: 'button', title: sample.name, 'data-sample': String(i) }, [img]);
      button.addEventListener('click', () => choose(sample));
      return button;
    }),
  );
  byId('samples').replaceChildren(...buttons);
}

export function markChosenSample(name: string | undefined): void {
  for (const button of byId('samples').querySelectorAll('button')) button.classList.toggle('chosen', button.title === name);
}
