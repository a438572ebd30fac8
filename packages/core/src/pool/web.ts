import type { FromWorker, SpawnWorker, ToWorker, WorkerPort } from './protocol.js';
import { serveModel } from './serve.js';

/**
 * Browsers: starts module Web Workers from `script`, a worker entry that calls `serveInWebWorker()`
 * (and imports the tfjs backends the recipe names). Pass it as `spawn` to `poolClassifier`.
 */
export function webWorkers(script: string | URL): SpawnWorker {
  return () => {
    const worker = new Worker(script, { type: 'module' });
    let exited: ((reason: string) => void) | undefined;
    let gone = false;
    const port: WorkerPort = {
      post: (message: ToWorker, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer),
      onMessage: (handler) => worker.addEventListener('message', (event: MessageEvent<FromWorker>) => handler(event.data)),
      onExit: (handler) => {
        exited = handler;
      },
      terminate: async () => {
        gone = true;
        worker.terminate();
      },
    };
    // A Web Worker does not exit on its own; an uncaught error is what ends its usefulness.
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      if (gone) return;
      gone = true;
      worker.terminate();
      exited?.(event.message || 'the worker failed to start');
    });
    return port;
  };
}

/** The body of a Web Worker entry for `webWorkers`: serves the pool's messages. */
export function serveInWebWorker(): void {
  const scope = globalThis as unknown as {
    postMessage(message: FromWorker, transfer: ArrayBuffer[]): void;
    addEventListener(type: 'message', handler: (event: MessageEvent<ToWorker>) => void): void;
  };
  serveModel({
    post: (message, transfer = []) => scope.postMessage(message, transfer),
    onMessage: (handler) => scope.addEventListener('message', (event) => handler(event.data)),
  });
}
