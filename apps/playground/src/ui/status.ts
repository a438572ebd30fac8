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

export function showProgress(event: ProgressEvent): void {
  const bar = byId<HTMLProgressElement>('progress');
  bar.max = Math.max(1, event.total);
  bar.value = event.done;
  byId('progress-label').textContent = `${event.stage}: ${event.done} / ${event.total}`;
}

export function resetProgress(label: string): void {
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
