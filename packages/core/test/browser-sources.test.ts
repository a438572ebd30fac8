import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { filesSource, loadTfjsClassifier, urlSource } from '../src/models/load.js';
import { useBackend } from './helpers.js';
import { residualModel, seedWeights } from './models.js';

/** A saved model as in-memory files: model.json text and its weight bytes. */
async function savedModel(): Promise<{ json: string; weights: ArrayBuffer }> {
  const model = residualModel();
  await seedWeights(model, 8);
  let saved: { json: string; weights: ArrayBuffer } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = {
        json: JSON.stringify({
          format: 'layers-model',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts.weightSpecs }],
          userDefinedMetadata: { xai: { classNames: ['x', 'y', 'z'] } },
        }),
        weights: artifacts.weightData as ArrayBuffer,
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  return saved!;
}

describe('browser model sources', () => {
  beforeAll(() => useBackend('cpu'));

  it('loads from a URL, fetching weights relative to model.json', async () => {
    const { json, weights } = await savedModel();
    const requested: string[] = [];
    const fakeFetch = (async (url: string) => {
      requested.push(url);
      if (url === 'https://models.test/shapes/model.json') return new Response(json);
      if (url === 'https://models.test/shapes/group1-shard1of1.bin') return new Response(weights);
      return new Response('missing', { status: 404 });
    }) as typeof fetch;
    const classifier = await loadTfjsClassifier(urlSource('https://models.test/shapes/model.json', fakeFetch));
    expect(requested).toEqual(['https://models.test/shapes/model.json', 'https://models.test/shapes/group1-shard1of1.bin']);
    expect(classifier.classNames).toEqual(['x', 'y', 'z']);
    classifier.dispose();
    const broken = (async (url: string) => (url.endsWith('.json') ? new Response(json) : new Response('', { status: 404 }))) as typeof fetch;
    await expect(loadTfjsClassifier(urlSource('https://models.test/shapes/model.json', broken))).rejects.toThrow(
      /Cannot fetch https:\/\/models.test\/shapes\/group1-shard1of1.bin: HTTP 404/,
    );
  });

  it('loads from dropped Files and names a missing weight file', async () => {
    const { json, weights } = await savedModel();
    const files = [new File([json], 'model.json'), new File([weights], 'group1-shard1of1.bin')];
    const classifier = await loadTfjsClassifier(filesSource(files));
    expect(classifier.numClasses).toBe(3);
    classifier.dispose();
    await expect(loadTfjsClassifier(filesSource([files[0]]))).rejects.toThrow(
      /Missing weight file "group1-shard1of1.bin" named by model.json; give it together with model.json/,
    );
    expect(() => filesSource([files[1]])).toThrow(/No model.json among the files given \(group1-shard1of1.bin\)/);
  });
});
