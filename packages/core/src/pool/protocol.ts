import type { ModelRecipe } from './recipe.js';

/** Messages from the pool to a worker. */
export type ToWorker =
  | { type: 'load'; recipe: ModelRecipe }
  | { type: 'predict'; id: number; data: Float32Array; shape: [number, number, number, number] };

/** Messages from a worker to the pool. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'loadFailed'; message: string }
  | { type: 'result'; id: number; data: Float32Array; rows: number }
  | { type: 'failed'; id: number; message: string };

/**
 * One worker as the pool sees it, whatever runs it (a Node `worker_threads` Worker, a Web Worker,
 * or the same thread in tests). Handlers are set once, before the first message is posted.
 */
export interface WorkerPort {
  post(message: ToWorker, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: FromWorker) => void): void;
  /** The worker died (an uncaught error, or it exited): `reason` says why. */
  onExit(handler: (reason: string) => void): void;
  /**
   * Optional: whether the worker has work the program waits for (loading, a chunk). Node workers
   * keep the process alive only then, so a pool nobody disposed never holds it open.
   */
  hold?(busy: boolean): void;
  /** Stops the worker; resolves when it is gone. */
  terminate(): Promise<void>;
}

/** Starts one worker. */
export type SpawnWorker = () => WorkerPort;
