import type { ProgressEvent } from '@xai/core';
import { byId } from './dom.js';

/** The message line: errors in red, notes in blue; `data-kind` lets tests tell them apart. */
export function showMessage(text: string, kind: 'error' | 'info' = 'error'): void {
  const box = byId('message');
  box.textContent = text;
  box.className = kind === 'error' ? 'message' : 'message info';
  box.dataset.kind = kind;
  box.hidden = false;
}

export function clearMessage(): void {
  const box = byId('message');
  box.hidden = true;
  box.textContent = '';
  delete box.dataset.kind;
}

/** The step of a longer task this progress belongs to ("method 2 of 4"), or none. */
let part: { index: number; count: number; label: string } | undefined;

/** Progress of `index` (0-based) of `count` parts: the bar counts over all of them. */
export function setProgressPart(next: { index: number; count: number; label: string } | undefined): void {
  part = next;
  if (next) showProgress({ stage: 'starting', done: 0, total: 1 });
}

export function showProgress(event: ProgressEvent): void {
  const bar = byId<HTMLProgressElement>('progress');
  const fraction = event.total > 0 ? event.done / event.total : 0;
  if (part) {
    bar.max = part.count;
    bar.value = part.index + fraction;
    byId('progress-label').textContent = `method ${part.index + 1} of ${part.count} (${part.label}) — ${event.stage}: ${event.done} / ${event.total}`;
    return;
  }
  bar.max = Math.max(1, event.total);
  bar.value = event.done;
  byId('progress-label').textContent = `${event.stage}: ${event.done} / ${event.total}`;
}

export function resetProgress(label: string): void {
  part = undefined;
  const bar = byId<HTMLProgressElement>('progress');
  bar.value = 0;
  byId('progress-label').textContent = label;
}

/** Marks the page busy (buttons off, Cancel on) and records it for tests in `body[data-busy]`. */
export function setBusy(busy: boolean): void {
  document.body.dataset.busy = String(busy);
  for (const id of ['explain', 'compare', 'demo-model']) byId<HTMLButtonElement>(id).disabled = busy;
  byId<HTMLButtonElement>('cancel').disabled = !busy;
}
