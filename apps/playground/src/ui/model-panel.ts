import type { ModelInfo } from '../protocol.js';
import { byId, element } from './dom.js';

/** Shows the model's name and details, and fills the layer list (Abs-CAM needs a white-box model). */
export function renderModel(info: ModelInfo): void {
  byId('model-name').textContent = info.name;
  const { height, width, channels } = info.input;
  const details = [
    `input ${height}×${width}×${channels}`,
    `${info.numClasses} classes`,
    `engine ${info.engine}`,
    `preprocessing: ${info.preprocessing}`,
  ];
  if (info.note) details.push(info.note);
  byId('model-details').textContent = details.join(' · ');

  const layer = byId<HTMLSelectElement>('layer');
  layer.replaceChildren(
    ...info.camLayers.map((l) => {
      const option = element('option', { value: l.name }, [`${l.name} [${l.shape.join('×')}]`]);
      option.selected = l.name === info.defaultCamLayer;
      return option;
    }),
  );
  const whiteBox = info.camLayers.length > 0;
  for (const value of ['abs-cam-init', 'abs-cam-final']) {
    const option = byId<HTMLSelectElement>('method').querySelector<HTMLOptionElement>(`option[value="${value}"]`)!;
    option.disabled = !whiteBox;
  }
}

/** Shows the parameters of the chosen method only. */
export function showMethodParams(method: string): void {
  const isRise = method === 'rise' || method === 'rise-gaussian';
  byId('rise-params').hidden = !isRise;
  byId('abscam-params').hidden = isRise;
  byId('p1-label').hidden = method !== 'rise';
}
