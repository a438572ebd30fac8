import { extname } from 'node:path';
import { BACKWARD_RULES, UnknownLayerError, selectBackend } from '@xai/core';
import { writeFileAtomic } from '@xai/core/node';
import type { GradientGraphNames } from '@xai/onnx';
import { loadOnnxModel } from '@xai/onnx/node';
import { type Command, UsageError, choiceOption, stringOption } from '../command.js';

export const gradients: Command = {
  name: 'gradients',
  summary: 'Writes the gradient graph of an ONNX model: a standalone ONNX file of standard operators that any onnxruntime runs.',
  usage: 'xai gradients MODEL.onnx (--layer NAME[,NAME…] | --input) [--rule gradient|guided] -o OUT.onnx [--json]',
  minPositionals: 1,
  options: {
    layer: { type: 'string', value: 'NAME[,NAME…]', description: 'layers whose activations and gradients to output: PyTorch module paths (layer4, features.18) or tensor names' },
    input: { type: 'boolean', description: 'also output the gradient with respect to the image input' },
    rule: { type: 'string', value: BACKWARD_RULES.join('|'), description: "the backward rule (guided: Guided Backprop's ReLU)", default: 'gradient' },
    out: { type: 'string', short: 'o', value: 'OUT.onnx', description: 'where to write the gradient graph' },
    backend: { type: 'string', value: 'NAME', description: 'tfjs backend for the shape pass: wasm, cpu, tfjs-node (default: the best available)' },
    json: { type: 'boolean', description: "print the graph's inputs and outputs as JSON" },
  },
  async run(args, context) {
    if (args.positionals.length !== 1) throw new UsageError(`gradients takes one model file, got ${args.positionals.length}`);
    const [path] = args.positionals;
    if (extname(path).toLowerCase() !== '.onnx') throw new UsageError(`gradients takes an .onnx model, got "${path}"`);
    const out = stringOption(args, 'out');
    if (!out) throw new UsageError('-o OUT.onnx is required: where to write the gradient graph');
    const layerNames = (stringOption(args, 'layer') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const input = Boolean(args.values.input);
    if (layerNames.length === 0 && !input) throw new UsageError('give --layer NAME[,NAME…], --input, or both: what the gradient graph differentiates');
    const rule = choiceOption(args, 'rule', BACKWARD_RULES, 'gradient');
    await selectBackend({ prefer: stringOption(args, 'backend') });
    // The tfjs graph measures the shapes; a model it cannot run is refused, naming the operators.
    const model = await loadOnnxModel(path, { engine: 'tfjs', workers: 1 });
    try {
      const layers = layerNames.map((name) => {
        try {
          return { label: name, value: model.resolveLayer(name).output };
        } catch (error) {
          if (error instanceof UnknownLayerError) throw new UsageError(`--layer: ${error.message}`);
          throw error;
        }
      });
      const graph = model.gradientGraph({ layers, input, rule });
      await writeFileAtomic(out, graph.bytes);
      const summary = describeGraph(graph.names, model.input.layout === 'NCHW' ? [model.input.channels, model.input.height, model.input.width] : [model.input.height, model.input.width, model.input.channels], model.numClasses);
      if (args.values.json) context.stdout.write(`${JSON.stringify({ file: out, opset: graph.opset, rule, ...summary }, null, 2)}\n`);
      else context.stdout.write(formatSummary(out, graph.opset, rule, summary));
    } finally {
      model.dispose();
    }
  },
};

interface Summary {
  inputs: { name: string; shape: (number | string)[]; what: string }[];
  outputs: { name: string; what: string }[];
}

function describeGraph(names: GradientGraphNames, image: number[], classes: number): Summary {
  return {
    inputs: [
      { name: names.image, shape: ['batch', ...image], what: 'the preprocessed images, as the model takes them' },
      { name: names.seed, shape: ['batch', classes], what: 'row b weights the logits of image b (one-hot: the gradient of that class)' },
    ],
    outputs: [
      { name: names.logits, what: 'the logits' },
      ...Object.entries(names.activations).map(([label, name]) => ({ name, what: `the output of ${label}` })),
      ...Object.entries(names.gradients).map(([label, name]) => ({ name, what: `Σ_k seed[b, k] · ∂logits[b, k] / ∂(output of ${label})` })),
      ...(names.inputGradient ? [{ name: names.inputGradient, what: 'Σ_k seed[b, k] · ∂logits[b, k] / ∂image' }] : []),
    ],
  };
}

function formatSummary(file: string, opset: number, rule: string, summary: Summary): string {
  const lines = [`${file}: gradient graph (opset ${opset}, rule ${rule})`, 'inputs:'];
  for (const i of summary.inputs) lines.push(`  ${i.name} [${i.shape.join(', ')}]: ${i.what}`);
  lines.push('outputs:');
  for (const o of summary.outputs) lines.push(`  ${o.name}: ${o.what}`);
  return `${lines.join('\n')}\n`;
}
