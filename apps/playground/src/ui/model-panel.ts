import type { ModelInfo } from '../protocol.js';
import { byId } from './dom.js';

/** Shows the model's name and details: input, classes, engines (of the passes, of the gradients), preprocessing, layers. */
export function renderModel(info: ModelInfo): void {
  byId('model-name').textContent = info.name;
  const { height, width, channels } = info.input;
  const details = [
    `input ${height}×${width}×${channels}`,
    `${info.numClasses} classes`,
    `engine ${info.engine}`,
    `preprocessing: ${info.preprocessing}`,
    info.whiteBox ? `${info.featureLayers.length} feature-map layers` : 'black-box (predictions only)',
  ];
  if (info.gradients) details.push(`gradients: ${info.gradients}`);
  if (info.note) details.push(info.note);
  byId('model-details').textContent = details.join(' · ');
}
