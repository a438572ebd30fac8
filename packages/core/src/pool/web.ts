import type { FromWorker, SpawnWorker, ToWorker, WorkerPort } from './protocol.js';
import { serveModel } from './serve.js';

/**
 * Browsers: starts module Web Workers from `script`, a worker entry that calls `serveInWebWorker()`
 * (and imports the tfjs backends the recipe names; a bundled entry passes its loaders, see there).
 * Pass it as `spawn` to `poolClassifier`.
 */
export function webWorkers(script: string | URL): SpawnWorker {
  return () => {
    let worker: Worker;
    try {
      worker = new Worker(script, { type: 'module' });
    } catch (error) {
      // No Worker in this scope (nested workers), or one the page may not start: the pool hears
      // it as a worker that stopped while loading, and fails with why.
      return unstartedWorker(`the worker could not be started: ${(error as Error).message}`);
    }
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

/** A worker that never ran: it reports its exit, with `reason`, as soon as the pool listens. */
function unstartedWorker(reason: string): WorkerPort {
  return {
    post: () => undefined,
    onMessage: () => undefined,
    onExit: (handler) => queueMicrotask(() => handler(reason)),
    terminate: async () => undefined,
  };
}

/** Where `serveInWebWorker` keeps the loaders an entry gives, for the module that stands in for its own. */
const OWN_EXPORTS = '__xaiPoolOwnExports';

/**
 * The body of a Web Worker entry for `webWorkers`: serves the pool's messages.
 *
 * `ownExports`: loaders this entry provides, for recipes whose `module` is this worker's own
 * script URL. A bundler (Vite, webpack) builds a worker entry without its exports, and its
 * dependencies (tfjs) into it, so the model must be rebuilt by code in the worker's own bundle:
 * such a recipe is served by a small module that calls the loader given here, with the worker's
 * one copy of tfjs.
 */
export function serveInWebWorker(ownExports?: Record<string, (...args: never[]) => unknown>): void {
  const scope = globalThis as unknown as {
    location?: { href: string };
    postMessage(message: FromWorker, transfer: ArrayBuffer[]): void;
    addEventListener(type: 'message', handler: (event: MessageEvent<ToWorker>) => void): void;
    [OWN_EXPORTS]?: Record<string, unknown>;
  };
  scope[OWN_EXPORTS] = ownExports;
  serveModel({
    post: (message, transfer = []) => scope.postMessage(message, transfer),
    onMessage: (handler) => scope.addEventListener('message', (event) => handler(ownRecipe(event.data, scope.location?.href, ownExports))),
  });
}

/** A `load` of this worker's own script, with a loader given for it, becomes a load of a module that calls that loader. */
function ownRecipe(message: ToWorker, ownUrl: string | undefined, ownExports: Record<string, unknown> | undefined): ToWorker {
  if (message.type !== 'load' || !ownExports || message.recipe.module !== ownUrl) return message;
  const name = message.recipe.export;
  if (typeof ownExports[name] !== 'function' || !/^[A-Za-z_$][\w$]*$/.test(name)) return message;
  const source = `export const ${name} = (...args) => globalThis.${OWN_EXPORTS}.${name}(...args);`;
  const module = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  return { ...message, recipe: { ...message.recipe, module } };
}
