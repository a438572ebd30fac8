import type { ProgressEvent } from '@xai/core';
import type { Call, WorkerClient } from './client.js';
import type { Requests, RequestType } from './protocol.js';
import { clearMessage, resetProgress, setBusy, showMessage, showProgress } from './ui/status.js';

/** Runs user actions one at a time: busy state, progress, Cancel, and failures shown as messages. */
export class Runner {
  private current?: Call<unknown>;

  constructor(private readonly client: WorkerClient) {}

  /** Sends one request; its progress drives the bar and Cancel stops it. */
  request<K extends RequestType>(type: K, body: Requests[K]['request']): Promise<Requests[K]['reply']> {
    const call = this.client.call(type, body, (event: ProgressEvent) => showProgress(event));
    this.current = call;
    return call.result.finally(() => {
      if (this.current === call) this.current = undefined;
    });
  }

  cancel(): void {
    this.current?.cancel();
  }

  /** Any failure becomes a message and the page stays usable; a second action while busy is ignored. */
  async task(label: string, work: () => Promise<void>): Promise<void> {
    if (document.body.dataset.busy === 'true') return;
    clearMessage();
    setBusy(true);
    resetProgress(label);
    try {
      await work();
      resetProgress('done');
    } catch (error) {
      const { name, message } = error as Error;
      if (name === 'AbortError') {
        showMessage('Cancelled.', 'info');
        resetProgress('cancelled');
      } else {
        showMessage(message);
        resetProgress('failed');
      }
    } finally {
      setBusy(false);
    }
  }
}
