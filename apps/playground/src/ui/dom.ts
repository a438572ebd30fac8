/** The element with this id; a missing one is a bug in index.html, so it throws. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no element #${id}`);
  return found as T;
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) if (value !== undefined) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

/** A labelled canvas tile for the result grids. */
export function canvasTile(caption: string, className = 'tile'): { tile: HTMLElement; canvas: HTMLCanvasElement } {
  const canvas = element('canvas');
  const tile = element('figure', { class: className }, [canvas, element('figcaption', {}, [caption])]);
  return { tile, canvas };
}
