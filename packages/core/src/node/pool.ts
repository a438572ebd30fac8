import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Classifier } from '../classifier.js';
import { MAX_WORKERS, checkWorkers, poolClassifier, type PooledClassifier } from '../pool/pooled.js';
import type { FromWorker, SpawnWorker, ToWorker, WorkerPort } from '../pool/protocol.js';

const WORKER_SCRIPT = new URL('./pool-worker.js', import.meta.url);

/**
 * Node: starts `worker_threads` workers. A worker keeps the process alive only while it has work
 * (it is `unref()`ed when idle), so a pool nobody disposed never holds the process open.
 */
export function nodeWorkers(script: URL = WORKER_SCRIPT): SpawnWorker {
  return () => {
    // Flags a worker refuses (--input-type, as `node --input-type=module -e` gives) are not passed on.
    const worker = new Worker(script, { execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')) });
    worker.unref();
    let exited: ((reason: string) => void) | undefined;
    let error: Error | undefined;
    worker.on('error', (e) => {
      error = e;
    });
    worker.on('exit', (code) => exited?.(error ? error.message : `it exited with code ${code}`));
    const port: WorkerPort = {
      post: (message: ToWorker, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer),
      onMessage: (handler) => {
        worker.on('message', (message: FromWorker) => handler(message));
        // A 'message' listener refs the worker's port again: unref after adding it.
        worker.unref();
      },
      hold: (busy) => {
        if (busy) worker.ref();
        else worker.unref();
      },
      onExit: (handler) => {
        exited = handler;
      },
      terminate: async () => {
        await worker.terminate();
      },
    };
    return port;
  };
}

/** The default number of workers: the cores Node may use (at most `MAX_WORKERS`). */
export function defaultWorkers(): number {
  return Math.min(availableParallelism(), MAX_WORKERS);
}

export interface PooledOptions {
  /** Workers (default: the number of cores; 1 runs in-process). */
  workers?: number;
  /** Rows per chunk (see `poolClassifier`). */
  chunkRows?: number;
  /** Starts one worker (default: `worker_threads`, see `nodeWorkers`). */
  spawn?: SpawnWorker;
}

/**
 * `model` with `predict` spread over `workers` worker threads (see `poolClassifier`); the model
 * needs the recipe its loader leaves (`loadTfjsModelFile`, `loadDemoModel`, `loadOnnxModel` on tfjs).
 */
export function pooled<T extends Classifier>(model: T, options: PooledOptions = {}): PooledClassifier<T> {
  const workers = options.workers === undefined ? defaultWorkers() : checkWorkers(options.workers);
  return poolClassifier(model, {
    workers,
    chunkRows: options.chunkRows,
    spawn: options.spawn ?? nodeWorkers(),
    explicit: options.workers !== undefined,
  });
}
