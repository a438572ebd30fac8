// The black-box passes of tfjs models spread over Web Workers when wasm runs on one thread.
import * as tf from '@tensorflow/tfjs-core';
import { poolClassifier, webWorkers, withRecipe, type Classifier } from '@xai/core';
import poolWorkerUrl from './pool-worker.ts?worker&url';
import type { PassEngine } from '../protocol.js';
import { inProcessOnPoolFailure } from './pool-fallback.js';
import type { TfjsModelSpec } from './tfjs-models.js';

/** Backends a pool helps: those that compute on this thread's CPU. A GPU backend gains nothing from copies. */
const POOLED_BACKENDS = ['wasm', 'cpu'];

let size: number | undefined;

/**
 * Workers the pool runs (see `poolWorkers`, set at init): undefined when the page is cross-origin
 * isolated (wasm's own threads take the cores); 1 runs the passes here, in the pool's chunks.
 */
export function setPoolSize(workers: number | undefined): void {
  size = workers;
}

/**
 * `model` (built from `spec`, on the tfjs engine) with `predict` spread over the pool's workers,
 * each rebuilding it from `spec`, when the page is not cross-origin isolated and the backend
 * computes on the CPU; else `model` itself. `onFallback` gets the passes' new engine when the
 * pool fails and they go on in this worker.
 */
export function poolPasses(model: Classifier, spec: TfjsModelSpec, onFallback: (passes: PassEngine) => void): { model: Classifier; passes: PassEngine } {
  const backend = tf.getBackend();
  if (size === undefined || !POOLED_BACKENDS.includes(backend)) return { model, passes: { engine: 'tfjs' } };
  // One worker: in-process, in the chunks a pool would run, so the bytes are those of any pool.
  if (size === 1) return { model: poolClassifier(model, { workers: 1 }), passes: { engine: 'tfjs' } };
  // The pool's workers start from this script, and rebuild the model with its `buildTfjsModel`.
  const script = new URL(poolWorkerUrl, self.location.href).href;
  const recipe = { module: script, export: 'buildTfjsModel', args: [spec], backend };
  const pooled = poolClassifier(withRecipe(model, recipe), { workers: size, spawn: webWorkers(script) });
  const passes: PassEngine = { engine: 'tfjs', backend, workers: size };
  const guarded = inProcessOnPoolFailure(pooled, (reason) => onFallback({ engine: 'tfjs', backend, workers: 1, inProcess: reason }));
  return { model: guarded, passes };
}
