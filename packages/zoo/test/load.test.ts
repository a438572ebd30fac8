import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { defaultFeatureLayer, preprocess, selectBackend, XaiError } from '@xai/core';
import { readImage } from '@xai/core/node';
import { DEMO_MODEL, DEMO_SAMPLES, SHAPE_CLASSES, demoSample, demoSampleUrls, imagesToBatch, loadDemoModel as loadOverHttp } from '../src/index.js';
import { demoModelPath, demoSampleFiles, loadDemoModel } from '../src/node/index.js';

/** A fetch that serves file: URLs from disk, standing in for a web server. */
const fileFetch = (async (input: RequestInfo | URL) => {
  const url = String(input);
  try {
    return new Response(await readFile(fileURLToPath(url)));
  } catch {
    return new Response('not found', { status: 404 });
  }
}) as typeof fetch;

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm' });
});

describe('loadDemoModel (Node entry)', () => {
  it('loads the bundled files with class names and unit preprocessing, as a white-box classifier', async () => {
    const before = tf.memory().numTensors;
    const model = await loadDemoModel();
    expect(model.classNames).toEqual([...SHAPE_CLASSES]);
    expect(model.preprocessing).toMatchObject({ scale: 1 / 255, offset: 0, mean: [0, 0, 0], std: [1, 1, 1] });
    expect(model.input).toEqual({ height: 96, width: 96, channels: 3, layout: 'NHWC' });
    expect(defaultFeatureLayer(model)).toBe(DEMO_MODEL.camLayer);
    const image = imagesToBatch([demoSample('star-1').image]);
    const { activations, gradient, logits } = await model.activationsAndGradient(image, model.resolveLayer('stage3'), 3);
    expect(activations.shape).toEqual([1, 12, 12, 64]);
    const largest = tf.tidy(() => tf.max(tf.abs(gradient)));
    expect((await largest.data())[0]).toBeGreaterThan(0);
    largest.dispose();
    tf.dispose([image, activations, gradient, logits]);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('says where the files are and refuses a missing model file with XaiError', async () => {
    expect(demoModelPath()).toMatch(/zoo[\\/]model[\\/]model\.json$/);
    await expect(loadDemoModel({ path: '/nonexistent/model.json' })).rejects.toThrow(XaiError);
  });
});

describe('loadDemoModel (browser entry)', () => {
  it('fetches model.json and weights from next to the package by default', async () => {
    const before = tf.memory().numTensors;
    const model = await loadOverHttp({ fetch: fileFetch });
    expect(model.classNames).toEqual([...SHAPE_CLASSES]);
    expect(model.numClasses).toBe(4);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports an unreachable model URL as XaiError', async () => {
    await expect(loadOverHttp({ url: 'file:///nonexistent/model.json', fetch: fileFetch })).rejects.toThrow(/HTTP 404/);
  });
});

describe('shipped samples', () => {
  let model: Awaited<ReturnType<typeof loadDemoModel>>;
  beforeAll(async () => {
    model = await loadDemoModel();
  });
  afterAll(() => model.dispose());

  it('lists two samples per class, each with files that match the generator', async () => {
    expect(DEMO_SAMPLES.map((s) => s.className).sort()).toEqual([...SHAPE_CLASSES, ...SHAPE_CLASSES].sort());
    for (const info of DEMO_SAMPLES) {
      const sample = demoSample(info.name);
      const files = demoSampleFiles(info.name);
      const image = await readImage(files.image);
      expect(image.channels).toBe(3);
      expect(Buffer.from(image.data).equals(Buffer.from(sample.image.data))).toBe(true);
      const mask = await readImage(files.mask);
      expect(Array.from(mask.data.filter((_, k) => k % mask.channels === 0))).toEqual(Array.from(sample.mask, (v) => v * 255));
      const truth = JSON.parse(await readFile(files.groundTruth, 'utf8'));
      expect(truth).toMatchObject({ label: sample.label, className: info.className, bbox: sample.bbox });
      expect(demoSampleUrls(info.name).image).toBe(`file://${files.image}`);
    }
    expect(() => demoSample('hexagon-1')).toThrow(/available: circle-1/);
  });

  it('are classified correctly by the model, through the toolkit preprocessing path', async () => {
    const before = tf.memory().numTensors;
    for (const info of DEMO_SAMPLES) {
      const image = await readImage(demoSampleFiles(info.name).image);
      const input = preprocess(image, model.input, model.preprocessing);
      const logits = await model.predict(input);
      const top = tf.argMax(logits, 1);
      const predicted = (await top.data())[0];
      expect(model.classNames?.[predicted]).toBe(info.className);
      tf.dispose([input, logits, top]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
