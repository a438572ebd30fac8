import { readingGuide } from '@xai/core';
import type { MethodInfo } from '../protocol.js';
import { byId, element } from './dom.js';

/** "How to read these results": one line per method's map and per metric the page shows. */
export function renderGuide(methods: readonly MethodInfo[]): void {
  const label = (id: string) => methods.find((m) => m.id === id)?.label ?? id;
  const lines = readingGuide(methods.map((m) => m.id), ['colour-bar', 'insertion', 'deletion', 'random-map'], label);
  byId('guide-lines').replaceChildren(...lines.flatMap((g) => [element('dt', {}, [g.term]), element('dd', {}, [g.line])]));
}
