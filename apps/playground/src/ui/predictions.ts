import type { Prediction } from '../protocol.js';
import { byId, element } from './dom.js';

/** The top-5 list, each class a radio button; the first is chosen. */
export function renderPredictions(top: readonly Prediction[]): void {
  const list = byId('predictions');
  list.replaceChildren(
    ...top.map((p, rank) => {
      const radio = element('input', { type: 'radio', name: 'class', value: String(p.classIndex) });
      radio.checked = rank === 0;
      const name = p.className ? `${p.className} (${p.classIndex})` : `class ${p.classIndex}`;
      const bar = element('span', { class: 'bar', style: `width: ${(p.probability * 100).toFixed(1)}%` });
      const label = element('label', {}, [radio, element('span', {}, [name, bar]), `${(p.probability * 100).toFixed(1)}%`]);
      return element('li', { 'data-class': String(p.classIndex) }, [label]);
    }),
  );
}

/** The class chosen in the list, or undefined when there is no prediction yet. */
export function chosenClass(): number | undefined {
  const checked = document.querySelector<HTMLInputElement>('#predictions input[name="class"]:checked');
  return checked ? Number(checked.value) : undefined;
}
