import type { ProgressEvent } from '@xai/core';
import type { Call, WorkerClient } from './client.js';
import type { Requests, RequestType } from './protocol.js';
import { byId } from './ui/dom.js';
import { clearFieldErrors, FieldError, showFieldError } from './ui/field-errors.js';
import { clearMessage, resetProgress, setBusy, showMessage, showProgress } from './ui/status.js';

export interface TaskOptions {
  /** Long work: the focus goes to Cancel while it runs. */
  cancellable?: boolean;
  /** Where the focus goes when the work is done (the results), scrolled into view. */
  focusAfter?: () => HTMLElement | undefined;
}

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

  /**
   * Any failure becomes a message (sticky, so in view) and the page stays usable; a bad field
   * value is shown beside its field too, which gets the focus. A second action while busy is
   * ignored.
   */
  async task(label: string, work: () => Promise<void>, options: TaskOptions = {}): Promise<void> {
    if (document.body.dataset.busy === 'true') return;
    clearMessage();
    clearFieldErrors();
    setBusy(true);
    resetProgress(label);
    if (options.cancellable) byId('cancel').focus();
    let failed = false;
    try {
      await work();
      resetProgress('done');
    } catch (error) {
      failed = true;
      const { name, message } = error as Error;
      if (name === 'AbortError') {
        showMessage('Cancelled.', 'info');
        resetProgress('cancelled');
      } else {
        showMessage(message);
        resetProgress('failed');
      }
      if (error instanceof FieldError) showFieldError(error);
    } finally {
      setBusy(false);
    }
    const target = failed ? undefined : options.focusAfter?.();
    if (target) {
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: 'start', behavior: 'instant' });
    } else if (options.cancellable && document.activeElement === byId('cancel')) byId('explain').focus();
  }
}
