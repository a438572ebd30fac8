import { XaiError, defaultFeatureLayerOrNone, isWhiteBox } from '@xai/core';
import type { Command } from '../command.js';
import { MODEL_OPTIONS, openModel } from '../model.js';

export const layers: Command = {
  name: 'layers',
  summary: "The model's layers with their output shapes; which are feature maps for layer methods (CAMs, Abs-CAM).",
  usage: 'xai layers [--model PATH] [--json]',
  options: { ...MODEL_OPTIONS, json: { type: 'boolean', description: 'print JSON' } },
  async run(args, context) {
    const { model } = await openModel(args);
    try {
      if (!isWhiteBox(model)) throw new XaiError('This model gives no layer access (it runs as a black box)');
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
        context.stdout.write(`${l.name.padEnd(width)}  ${l.shape.join('×').padEnd(16)}  ${l.kind.padEnd(22)}  ${target}\n`);
      }
    } finally {
      model.dispose();
    }
  },
};
