import type { ProgressEvent } from '@xai/core';
import type { FromWorker, PassEngine, RequestType, Requests, ToWorker } from './protocol.js';

/** An error the worker reported, keeping its name (`XaiError`, `AbortError`, …). */
export class WorkerError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface Call<T> {
  readonly id: number;
  readonly result: Promise<T>;
  cancel(): void;
}

interface Pending {
  resolve(reply: unknown): void;
  reject(error: Error): void;
  onProgress?: (event: ProgressEvent) => void;
}

/** Sends typed requests to the worker and matches each reply, progress event and error to its call. */
export class WorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** Told when the worker says the current model's passes moved (see `FromWorker`). */
  onPasses?: (passes: PassEngine) => void;

  constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.receive(event.data);
    worker.onerror = (event) => this.failAll(new WorkerError('WorkerError', event.message || 'The worker stopped'));
  }

  call<K extends RequestType>(
    type: K,
    request: Requests[K]['request'],
    onProgress?: (event: ProgressEvent) => void,
    transfer: Transferable[] = [],
  ): Call<Requests[K]['reply']> {
    const id = this.nextId++;
    const result = new Promise<Requests[K]['reply']>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (reply: unknown) => void, reject, onProgress });
    });
    this.worker.postMessage({ type, id, ...request } as ToWorker, transfer);
    return { id, result, cancel: () => this.worker.postMessage({ type: 'cancel', id } satisfies ToWorker) };
  }

  private receive(message: FromWorker): void {
    if (message.type === 'passes') {
      this.onPasses?.(message.passes);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') {
      pending.onProgress?.(message.event);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'reply') pending.resolve(message.reply);
    else pending.reject(new WorkerError(message.error.name, message.error.message));
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
