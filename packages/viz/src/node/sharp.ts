import { VizError } from '../errors.js';

export type Sharp = (typeof import('sharp'))['default'];

let loaded: Promise<Sharp> | undefined;

/** sharp, loaded on first use: it is an optional peer dependency. */
export function loadSharp(): Promise<Sharp> {
  loaded ??= import('sharp').then(
    (module) => module.default,
    (error: unknown) => {
      loaded = undefined;
      throw new VizError('Writing PNG files in Node needs the "sharp" package: npm install sharp', { cause: error });
    },
  );
  return loaded;
}
