/// <reference lib="webworker" />
import { MAX_WORKERS, XaiError } from '@xai/core';
import type { FromWorker, RequestMessage, ToWorker } from '../protocol.js';
import { startBackend } from './backend.js';
import { evaluate } from './evaluate.js';
import { explain } from './explain.js';
import { methodList } from '../logic/methods.js';
import { poolWorkers } from '../logic/threads.js';
import { registry } from './methods.js';
import { loadModel } from './models.js';
import { setPoolSize } from './pool.js';
import { Session } from './session.js';
import { yieldingClassifier } from './yielding.js';

declare const self: DedicatedWorkerGlobalScope;

const session = new Session();
const running = new Map<number, AbortController>();
let demoBase = '';

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type === 'cancel') {
    running.get(message.id)?.abort();
    return;
  }
  void serve(message);
};

/** Requests run one at a time, in order, so a model swap never races a run on the old model. */
let queue: Promise<void> = Promise.resolve();

function serve(message: RequestMessage): Promise<void> {
  const controller = new AbortController();
  running.set(message.id, controller);
  queue = queue.then(async () => {
    try {
      const reply = await handle(message, controller.signal);
      post({ type: 'reply', id: message.id, reply });
    } catch (error) {
      const { name, message: text } = describeError(error);
      post({ type: 'error', id: message.id, error: { name, message: text } });
    } finally {
      running.delete(message.id);
    }
  });
  return queue;
}

async function handle(message: RequestMessage, signal: AbortSignal): Promise<unknown> {
  const work = {
    signal,
    onProgress: (event: { stage: string; done: number; total: number }) => post({ type: 'progress', id: message.id, event }),
  };
  switch (message.type) {
    case 'init': {
      demoBase = message.demoBase;
      const backend = await startBackend(message.prefer, message.threads);
      setPoolSize(poolWorkers(backend.crossOriginIsolated === true, navigator.hardwareConcurrency, MAX_WORKERS, message.workers));
      return { backend, methods: methodList(registry) };
    }
    case 'load-model': {
      const loaded = await loadModel(message.source, demoBase, message.preprocessing, (passes) => post({ type: 'passes', passes }));
      session.setModel(loaded);
      return loaded.info;
    }
    case 'predict':
      return session.predict(message.image);
    case 'explain': {
      const result = await explain(registry, yieldingClassifier(session.model), session.input, message, work);
      // Read after the run: an ONNX model's gradient graph is built on first use, and may fall back.
      const gradients = registry.get(message.method).box === 'white' ? session.gradients : undefined;
      return gradients ? { ...result, gradients } : result;
    }
    case 'evaluate':
      return evaluate(yieldingClassifier(session.model), session.input, message.map, message.step, work);
    default:
      throw new XaiError(`Unknown request ${JSON.stringify((message as { type: unknown }).type)}`);
  }
}

function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

function post(message: FromWorker): void {
  self.postMessage(message);
}
