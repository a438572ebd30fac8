import { loadTfjsClassifier, urlSource, type ClassifierOptions, type TfjsClassifier } from '@xai/core';

export interface LoadDemoModelOptions extends ClassifierOptions {
  /** Where model.json is served; default: the copy inside this package, next to this module. */
  url?: string | URL;
  /** Custom fetch (default: the global one). */
  fetch?: typeof fetch;
}

export function defaultDemoModelUrl(): string {
  return new URL('../model/model.json', import.meta.url).href;
}

/**
 * The bundled shapes classifier (circle, square, triangle, star; 96×96 RGB in [0, 1]; logits),
 * fetched over HTTP(S) — for browsers and bundlers. In Node, use `loadDemoModel` from
 * `@xai/zoo/node`, which reads the files from disk.
 */
export async function loadDemoModel(options: LoadDemoModelOptions = {}): Promise<TfjsClassifier> {
  const { url, fetch: fetchFn, ...classifierOptions } = options;
  const source = urlSource(String(url ?? defaultDemoModelUrl()), fetchFn ?? fetch);
  return loadTfjsClassifier(source, classifierOptions);
}
