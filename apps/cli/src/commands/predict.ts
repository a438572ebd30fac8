import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '@xai/core';
import { writeNpyFile } from '@xai/core/node';
import { type Command, intOption, stringOption, tensorOrImages } from '../command.js';
import { imageItems, listImages, loadImageInput, tensorItems } from '../inputs.js';
import { MODEL_OPTIONS, openModel } from '../model.js';
import { classLabel, predictTop, type ClassScore } from '../prediction.js';
import { reportFailure } from '../report.js';

export const predict: Command = {
  name: 'predict',
  summary: "The model's top classes with probabilities: the first thing to check a model with.",
  usage: 'xai predict <image…> [--model PATH] [--tensor FILE.npy] [--engine auto|tfjs|onnxruntime] [--top K] [--json]',
  options: {
    ...MODEL_OPTIONS,
    tensor: { type: 'string', value: 'FILE.npy', description: "preprocessed inputs in the model's layout (a batch)" },
    top: { type: 'string', value: 'K', description: 'how many classes to show', default: '5' },
    json: { type: 'boolean', description: 'print JSON' },
    'save-logits': { type: 'string', value: 'FILE.npy', description: 'write the logits (batch × classes, float32)' },
  },
  async run(args, context) {
    const k = intOption(args, 'top', 5);
    const tensorPath = tensorOrImages(args, 'predict');
    const { model } = await openModel(args);
    const rows: { input: string; top: ClassScore[] }[] = [];
    const logits: Float32Array[] = [];
    let failures = 0;
    try {
      if (tensorPath) {
        const { items, batch } = await tensorItems(tensorPath, model);
        try {
          for (const item of items) {
            const one = tf.slice(batch, [item.index ?? 0, 0, 0, 0], [1, -1, -1, -1]);
            const result = await predictTop(model, one, Math.min(k, model.numClasses));
            one.dispose();
            rows.push({ input: `${item.path}[${item.index}]`, top: result.top });
            logits.push(result.logits);
          }
        } finally {
          batch.dispose();
        }
      } else {
        for (const item of imageItems(await listImages(args.positionals))) {
          try {
            const input = await loadImageInput(item, model, { onNote: (m) => context.stderr.write(`${m}\n`) });
            const result = await predictTop(model, input.tensor, Math.min(k, model.numClasses));
            input.tensor.dispose();
            rows.push({ input: item.path, top: result.top });
            logits.push(result.logits);
          } catch (error) {
            failures++;
            reportFailure(context, item.path, error);
          }
        }
      }
    } finally {
      model.dispose();
    }
    const save = stringOption(args, 'save-logits');
    if (save && logits.length) {
      const data = new Float32Array(logits.length * model.numClasses);
      logits.forEach((l, i) => data.set(l, i * model.numClasses));
      await writeNpyFile(save, { dtype: 'float32', shape: [logits.length, model.numClasses], data });
    }
    if (args.values.json) context.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    else
      for (const row of rows) {
        context.stdout.write(`${row.input}\n`);
        for (const t of row.top) context.stdout.write(`  ${t.probability.toFixed(4)}  ${classLabel(t)}\n`);
      }
    if (failures) throw new XaiError(`${failures} inputs failed`);
  },
};
