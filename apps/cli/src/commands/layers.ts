import { XaiError, defaultFeatureLayerOrNone, isWhiteBox, type LayerInfo } from '@xai/core';
import type { Command } from '../command.js';
import { MODEL_OPTIONS, openModel } from '../model.js';
import { registry } from '../registry.js';

export const layers: Command = {
  name: 'layers',
  summary: "The model's layers with their output shapes; which are feature maps for layer methods (CAMs, Abs-CAM).",
  usage: 'xai layers [--model PATH] [--json]',
  options: { ...MODEL_OPTIONS, json: { type: 'boolean', description: 'print JSON' } },
  async run(args, context) {
    const { model } = await openModel(args);
    try {
      if (!isWhiteBox(model)) {
        const why = model.whiteBoxUnavailable ?? `it runs as a black box on ${model.engine}`;
        const working = registry.list().filter((m) => m.box === 'black').map((m) => m.id);
        throw new XaiError(`This model has no layers to list: ${why}. Methods that work on it (black-box): ${working.join(', ')}`);
      }
      const list = model.layers();
      const fallback = defaultFeatureLayerOrNone(model);
      if (args.values.json) {
        context.stdout.write(JSON.stringify({ defaultLayer: fallback, layers: list }, null, 2) + '\n');
        return;
      }
      const width = Math.max(...list.map((l) => l.name.length), 5);
      context.stdout.write(`${'layer'.padEnd(width)}  ${'output shape'.padEnd(16)}  ${'kind'.padEnd(22)}  feature map\n`);
      for (const l of list) {
        const target = l.name === fallback ? 'yes (default)' : l.camTarget ? 'yes' : '';
        context.stdout.write(`${l.name.padEnd(width)}  ${l.shape.join('×').padEnd(16)}  ${l.kind.padEnd(22)}  ${[target, tokenNote(l)].filter(Boolean).join(', ')}\n`);
      }
    } finally {
      model.dispose();
    }
  },
};

/** How a token layer is read as a map: `4×4 grid of tokens, class token dropped`. */
function tokenNote(layer: LayerInfo): string {
  const t = layer.tokenGrid;
  if (!t) return '';
  const grid = `${t.grid[0]}×${t.grid[1]} grid`;
  if (t.from === 'channels-last') return `${grid}, channels last`;
  if (!layer.camTarget) return `${grid} of tokens, no target: only its class token reaches the output`;
  return `${grid} of tokens${t.classToken ? ', class token dropped' : ''}`;
}
