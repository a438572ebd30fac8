import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '../errors.js';
import { registerGradientKernels } from './kernels/register.js';
import { ensureGradients } from './register-gradients.js';

/** A candidate backend: the tfjs backend name it registers and how to load its package. */
export interface BackendCandidate {
  /** Name shown to users and accepted by `prefer` (e.g. `tfjs-node-gpu`, `wasm`). */
  id: string;
  /** The tfjs backend name the package registers. */
  backend: string;
  /** Imports the package that registers the backend; absent when it must already be registered. */
  load?: () => Promise<unknown>;
}

export interface BackendChoice {
  /** The candidate in use. */
  id: string;
  /** tfjs's name for it (`tf.getBackend()`). */
  backend: string;
  /** Candidates tried before it, with why each was passed over. */
  skipped: { id: string; reason: string }[];
  /** Gradient kernels registered because the backend lacked them. */
  addedKernels: string[];
}

// A variable specifier keeps bundlers from trying to resolve optional Node-only packages.
const importOptional = (specifier: string) => import(/* @vite-ignore */ specifier);

/** Node: native TensorFlow (GPU, then CPU) when installed, then wasm with SIMD, then plain JS. */
export const NODE_BACKENDS: BackendCandidate[] = [
  { id: 'tfjs-node-gpu', backend: 'tensorflow', load: () => importOptional('@tensorflow/tfjs-node-gpu') },
  { id: 'tfjs-node', backend: 'tensorflow', load: () => importOptional('@tensorflow/tfjs-node') },
  { id: 'wasm', backend: 'wasm', load: () => importOptional('@tensorflow/tfjs-backend-wasm') },
  { id: 'cpu', backend: 'cpu', load: () => importOptional('@tensorflow/tfjs-backend-cpu') },
];

/** Browser: backends the app has imported (a bundle cannot load packages it did not include). */
export const BROWSER_BACKENDS: BackendCandidate[] = [
  { id: 'webgpu', backend: 'webgpu' },
  { id: 'webgl', backend: 'webgl' },
  { id: 'wasm', backend: 'wasm' },
  { id: 'cpu', backend: 'cpu' },
];

export function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/**
 * Picks and activates the best available tfjs backend, or `prefer` when given (an id or a tfjs
 * backend name). Registers the gradient kernels the chosen backend lacks. The choice is returned,
 * with the reasons the better candidates were passed over.
 */
export async function selectBackend(
  options: { prefer?: string; candidates?: BackendCandidate[] } = {},
): Promise<BackendChoice> {
  const all = options.candidates ?? (isNode() ? NODE_BACKENDS : BROWSER_BACKENDS);
  const wanted = options.prefer
    ? all.filter((c) => c.id === options.prefer || c.backend === options.prefer)
    : all;
  if (wanted.length === 0) {
    throw new XaiError(
      `Unknown backend "${options.prefer}"; accepted: ${[...new Set(all.flatMap((c) => [c.id, c.backend]))].join(', ')}`,
    );
  }
  const skipped: BackendChoice['skipped'] = [];
  for (const candidate of wanted) {
    const reason = await activate(candidate);
    if (reason === undefined) {
      // Before ensureGradients, which registers them too (and would leave nothing to report).
      const addedKernels = registerGradientKernels(candidate.backend);
      await ensureGradients();
      return { id: candidate.id, backend: tf.getBackend(), skipped, addedKernels };
    }
    skipped.push({ id: candidate.id, reason });
  }
  const detail = skipped.map((s) => `${s.id}: ${s.reason}`).join('; ');
  throw new XaiError(
    options.prefer
      ? `Backend "${options.prefer}" is not available (${detail})`
      : `No tfjs backend is available (${detail}); install @tensorflow/tfjs-backend-wasm or @tensorflow/tfjs-backend-cpu`,
  );
}

/** Returns undefined on success, or why the candidate cannot be used. */
async function activate(candidate: BackendCandidate): Promise<string | undefined> {
  try {
    if (!tf.findBackendFactory(candidate.backend)) {
      if (!candidate.load) return 'not registered (import its package first)';
      await candidate.load();
      if (!tf.findBackendFactory(candidate.backend)) return 'the package did not register a backend';
    }
    const ok = await tf.setBackend(candidate.backend);
    if (!ok) return 'failed to initialise';
    await tf.ready();
    return undefined;
  } catch (error) {
    return isModuleNotFound(error) ? 'not installed' : (error as Error).message;
  }
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
}
