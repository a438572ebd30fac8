// The classifier contract checked at load (issue 13, item 5): the output must be [batch, classes],
// and a batch size fixed by the export is detected and honoured. Fixtures: fixtures/contract/,
// written by scripts/export-contract-fixtures.py.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '@xai/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel as loadBrowser } from '../src/index.js';
import { createOrtRunner } from '../src/ort.js';
import { onnx } from '../src/proto.js';
import { loadOnnxModel, type OnnxClassifier } from '../src/node/index.js';
import { FIXTURES, relativeError, useBackend, whiteBox } from './helpers.js';

const CONTRACT = join(FIXTURES, 'contract');
const fixture = (name: string) => join(CONTRACT, `${name}.onnx`);
const ENGINES = ['tfjs', 'onnxruntime'] as const;
const ACCEPTED = "a classifier's output must be [batch, classes], or [batch, classes, 1, 1] (axes of size 1 after the batch are dropped)";

interface Manifest { input_size: [number, number]; num_classes: number; models: { file: string; input: (number | string)[]; output_shape: (number | string)[] }[] }
const manifest = JSON.parse(readFileSync(join(CONTRACT, 'manifest.json'), 'utf8')) as Manifest;

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    (model) => {
      (model as OnnxClassifier).dispose();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(XaiError);
  return (error as Error).message;
}

/** A seeded NHWC batch of 32×32 RGB images. */
function images(n: number, seed: number): tf.Tensor4D {
  return tf.randomNormal([n, 32, 32, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

describe('the fixtures', () => {
  it('are what the export script says', () => {
    const byFile = new Map(manifest.models.map((m) => [m.file, m]));
    expect(byFile.get('fixed-batch-1.onnx')).toMatchObject({ input: [1, 3, 32, 32], output_shape: [1, 5] });
    expect(byFile.get('fixed-batch-2.onnx')).toMatchObject({ input: [2, 3, 32, 32], output_shape: [2, 5] });
    expect(byFile.get('dynamic-batch.onnx')).toMatchObject({ input: ['batch', 3, 32, 32], output_shape: ['batch', 5] });
    expect(byFile.get('segmentation-like.onnx')).toMatchObject({ output_shape: ['batch', 4, 32, 32] });
    expect(byFile.get('vector-output.onnx')).toMatchObject({ output_shape: ['batch'] });
    expect(byFile.get('squeezed-output.onnx')).toMatchObject({ input: [1, 3, 32, 32], output_shape: [5] });
  });

  it('fixed-batch-1 is what onnxruntime itself refuses for other batch sizes (the "Got: 32 Expected: 1" of the issue)', async () => {
    const found = await createOrtRunner(fixture('fixed-batch-1'), 'input', 'logits');
    const runner = found.runner!;
    await expect(runner.run(new Float32Array(5 * 3 * 32 * 32), [5, 3, 32, 32])).rejects.toThrow(/Got: 5 Expected: 1/);
    await runner.dispose();
  });
});

describe('outputs that are not a classifier’s are refused at load', () => {
  beforeAll(() => useBackend('wasm'));

  it.each(ENGINES)('per-pixel [batch, 4, 32, 32] (%s)', async (engine) => {
    const before = tf.memory().numTensors;
    const message = await refusal(loadOnnxModel(fixture('segmentation-like'), { engine }));
    expect(message).toBe(
      `"${fixture('segmentation-like')}": the output "masks" has shape [batch, 4, 32, 32]; ${ACCEPTED}. ` +
        "This looks like a per-pixel or per-box output (segmentation, detection), not an image classifier's",
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(ENGINES)('one value per image, [batch] (%s)', async (engine) => {
    const message = await refusal(loadOnnxModel(fixture('vector-output'), { engine }));
    expect(message).toBe(`"${fixture('vector-output')}": the output "score" has shape [batch]; ${ACCEPTED}. This is one value per image, not one logit per class`);
  });

  it.each(ENGINES)('the batch axis squeezed away, [5] from an input of batch 1 (%s)', async (engine) => {
    const message = await refusal(loadOnnxModel(fixture('squeezed-output'), { engine }));
    expect(message).toBe(`"${fixture('squeezed-output')}": the output "logits" has shape [5]; ${ACCEPTED}. It has no batch axis (the batch is 1)`);
  });

  it('a declared shape left dynamic is measured by the load-time shape pass', async () => {
    // The segmenter with its output declared as [batch, c, h, w]: only running it shows [1, 4, 32, 32].
    const m = onnx.ModelProto.decode(readFileSync(fixture('segmentation-like')));
    const dims = m.graph!.output![0].type!.tensorType!.shape!.dim!;
    ['c', 'h', 'w'].forEach((name, i) => (dims[i + 1] = onnx.TensorShapeProto.Dimension.create({ dimParam: name })));
    const bytes = onnx.ModelProto.encode(m).finish();
    const before = tf.memory().numTensors;
    for (const engine of ENGINES) {
      expect(await refusal(loadBrowser(bytes, { engine }))).toBe(
        `ONNX model: the output "masks" has shape [1, 4, 32, 32]; ${ACCEPTED}. ` +
          "This looks like a per-pixel or per-box output (segmentation, detection), not an image classifier's",
      );
    }
    // And with no declared shape at all.
    delete m.graph!.output![0].type!.tensorType!.shape;
    expect(await refusal(loadBrowser(onnx.ModelProto.encode(m).finish(), { engine: 'tfjs' }))).toMatch(/the output "masks" has shape \[1, 4, 32, 32\]/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('[batch, K, 1, 1] (a 1×1-convolution head) is read as [batch, K], the same on both engines', async () => {
    const [slow, fast] = await Promise.all(ENGINES.map((engine) => whiteBox(loadOnnxModel(fixture('conv-head'), { engine }))));
    expect(slow.numClasses).toBe(5);
    expect(fast.numClasses).toBe(5);
    const x = images(3, 4);
    const [a, b] = [await slow.predict(x), await fast.predict(x)];
    expect(a.shape).toEqual([3, 5]);
    expect(b.shape).toEqual([3, 5]);
    expect(relativeError(await a.data(), await b.data())).toBeLessThan(1e-4);
    const layer = slow.resolveLayer('features');
    const g = await slow.activationsAndGradient(tf.slice(x, [0, 0, 0, 0], [1, 32, 32, 3]) as tf.Tensor4D, layer, 2);
    expect(g.logits.shape).toEqual([1, 5]);
    expect(relativeError(await g.logits.data(), (await a.data()).slice(0, 5))).toBeLessThan(1e-5);
    tf.dispose([x, a, b, g.activations, g.gradient, g.logits]);
    slow.dispose();
    fast.dispose();
  });
});

describe('fixed batch sizes at load', () => {
  beforeAll(() => useBackend('wasm'));

  it('refuses a fixed batch too large to run at once', async () => {
    const m = onnx.ModelProto.decode(readFileSync(fixture('fixed-batch-2')));
    m.graph!.input![0].type!.tensorType!.shape!.dim![0] = onnx.TensorShapeProto.Dimension.create({ dimValue: 100_000 });
    expect(await refusal(loadBrowser(onnx.ModelProto.encode(m).finish(), { engine: 'tfjs' }))).toBe(
      'ONNX model: the input "input" has a fixed batch of 100000; 100000 images of 32×32×3 are more than supported (201326592 values per run)',
    );
  });
});

describe.each([1, 2])('a fixed batch of %s, detected and honoured', (size) => {
  const models: Record<string, OnnxClassifier> = {};
  beforeAll(async () => {
    await useBackend('wasm');
    for (const engine of ENGINES) {
      models[`fixed-${engine}`] = await whiteBox(loadOnnxModel(fixture(`fixed-batch-${size}`), { engine }));
      models[`dynamic-${engine}`] = await whiteBox(loadOnnxModel(fixture('dynamic-batch'), { engine }));
    }
  });
  afterAll(() => Object.values(models).forEach((m) => m.dispose()));

  it('says so in the engine line', () => {
    expect(models['fixed-onnxruntime'].engine).toBe(`onnxruntime-node (fixed batch ${size})`);
    expect(models['fixed-tfjs'].engine).toBe(`tfjs:wasm (fixed batch ${size})`);
    expect(models['fixed-tfjs'].fixedBatch).toBe(size);
    expect(models['dynamic-onnxruntime'].engine).toBe('onnxruntime-node');
    expect(models['dynamic-onnxruntime'].fixedBatch).toBeUndefined();
  });

  it.each(ENGINES)('gives the logits of the dynamic-batch export of the same weights for a batch of 5 (%s)', async (engine) => {
    const fixed = models[`fixed-${engine}`];
    const dynamic = models[`dynamic-${engine}`];
    const x = images(5, 11);
    tf.dispose(await fixed.predict(x)); // a first run may make cached constants
    const before = tf.memory().numTensors;
    const a = await fixed.predict(x);
    const b = await dynamic.predict(x);
    expect(a.shape).toEqual([5, 5]);
    expect(relativeError(await a.data(), await b.data())).toBeLessThan(1e-5);
    // Batches of other sizes too: one image, and exactly the fixed size.
    for (const n of [1, size]) {
      const xs = tf.slice(x, [0, 0, 0, 0], [n, 32, 32, 3]) as tf.Tensor4D;
      const l = await fixed.predict(xs);
      expect(l.shape).toEqual([n, 5]);
      expect(relativeError(await l.data(), (await b.data()).slice(0, n * 5))).toBeLessThan(1e-5);
      tf.dispose([xs, l]);
    }
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('lists the same layers, and gives the same gradients and forwardFrom logits', async () => {
    const fixed = models['fixed-onnxruntime'];
    const dynamic = models['dynamic-onnxruntime'];
    expect(fixed.layers()).toEqual(dynamic.layers());
    const image = images(1, 12);
    const before = tf.memory().numTensors;
    const layer = fixed.resolveLayer('features');
    expect(layer.shape).toEqual([16, 16, 8]);
    const g = await fixed.activationsAndGradient(image, layer, 3);
    const h = await dynamic.activationsAndGradient(image, dynamic.resolveLayer('features'), 3);
    expect(g.activations.shape).toEqual([1, 16, 16, 8]);
    expect(g.gradient.shape).toEqual([1, 16, 16, 8]);
    expect(g.logits.shape).toEqual([1, 5]);
    expect(relativeError(await g.activations.data(), await h.activations.data())).toBeLessThan(1e-5);
    expect(relativeError(await g.gradient.data(), await h.gradient.data())).toBeLessThan(1e-5);
    expect(relativeError(await g.logits.data(), await h.logits.data())).toBeLessThan(1e-5);
    // Three rows of activations (the middle one halved): more than one fixed batch, the last padded.
    const rows = tf.tidy(() => tf.concat([g.activations, tf.mul(g.activations, 0.5), tf.relu(tf.neg(g.activations))]) as tf.Tensor4D);
    const c = await fixed.forwardFrom(image, layer, rows);
    const d = await dynamic.forwardFrom(image, dynamic.resolveLayer('features'), rows);
    expect(c.shape).toEqual([3, 5]);
    expect(relativeError(await c.data(), await d.data())).toBeLessThan(1e-5);
    expect(relativeError((await c.data()).slice(0, 5), await g.logits.data())).toBeLessThan(1e-5);
    tf.dispose([g.activations, g.gradient, g.logits, h.activations, h.gradient, h.logits, rows, c, d]);
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
  });
});
