import { byId } from './dom.js';

/** A label holding a file input: picking or dropping files both hand them to `take`. */
export function wireDropZone(zoneId: string, inputId: string, take: (files: File[]) => void): void {
  const zone = byId(zoneId);
  const input = byId<HTMLInputElement>(inputId);
  input.addEventListener('change', () => {
    take([...(input.files ?? [])]);
    input.value = '';
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    take([...(event.dataTransfer?.files ?? [])]);
  });
}
