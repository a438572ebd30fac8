import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTfjsModelFile } from '../src/node/model-files.js';
import { LayersClassifier } from '../src/models/layers-classifier.js';
import { weightPathInside } from '../src/models/artifacts.js';
import { maxRelativeDiff, useBackend } from './helpers.js';
import { residualModel, seedWeights } from './models.js';

/** Saves a model as model.json + weights.bin in a fresh folder; returns the model.json path. */
async function saveToFolder(metadata?: object): Promise<string> {
  const model = residualModel();
  await seedWeights(model, 4);
  const dir = mkdtempSync(join(tmpdir(), 'xai-model-'));
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json = {
        format: 'layers-model',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        userDefinedMetadata: metadata,
      };
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  return join(dir, 'model.json');
}

function editModelJson(path: string, edit: (json: { weightsManifest: { paths: string[] }[] }) => void): string {
  const json = JSON.parse(readFileSync(path, 'utf8'));
  edit(json);
  const copy = path.replace('model.json', 'edited.json');
  writeFileSync(copy, JSON.stringify(json));
  return copy;
}

describe('loading tfjs models from model.json', () => {
  beforeAll(() => useBackend('wasm'));

  it('round-trips a LayersModel with the toolkit metadata', async () => {
    const path = await saveToFolder({ xai: { classNames: ['cat', 'dog', 'fox'], preprocessing: 'imagenet' } });
    const classifier = await loadTfjsModelFile(path);
    expect(classifier).toBeInstanceOf(LayersClassifier);
    expect(classifier.classNames).toEqual(['cat', 'dog', 'fox']);
    expect(classifier.preprocessing.std).toEqual([0.229, 0.224, 0.225]);
    const reference = residualModel();
    await seedWeights(reference, 4);
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const logits = await classifier.predict(x);
    const expected = reference.predict(x) as tf.Tensor;
    expect(maxRelativeDiff(await logits.data(), await expected.data())).toBeLessThan(1e-6);
    tf.dispose([logits, expected]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    classifier.dispose();
    reference.dispose();
  });

  it('refuses weight paths that leave the model folder', async () => {
    const path = await saveToFolder();
    const escaping = editModelJson(path, (json) => (json.weightsManifest[0].paths = ['../../etc/weights.bin']));
    await expect(loadTfjsModelFile(escaping)).rejects.toThrow(/names the weight file "..\/..\/etc\/weights.bin", which is outside the model's folder/);
    const absolute = editModelJson(path, (json) => (json.weightsManifest[0].paths = ['/tmp/weights.bin']));
    await expect(loadTfjsModelFile(absolute)).rejects.toThrow(/outside the model's folder/);
    const url = editModelJson(path, (json) => (json.weightsManifest[0].paths = ['https://example.com/w.bin']));
    await expect(loadTfjsModelFile(url)).rejects.toThrow(/outside the model's folder/);
    expect(weightPathInside('./shards/../weights.bin', 'm.json')).toBe('weights.bin');
  });

  it('names a missing weight file and the model.json that wants it', async () => {
    const path = await saveToFolder();
    const missing = editModelJson(path, (json) => (json.weightsManifest[0].paths = ['gone.bin']));
    await expect(loadTfjsModelFile(missing)).rejects.toThrow(/Weight file not found: .*gone\.bin \(named by .*edited\.json\)/);
  });

  it('names a truncated weight file', async () => {
    const path = await saveToFolder();
    const weights = join(path, '..', 'weights.bin');
    writeFileSync(weights, readFileSync(weights).subarray(0, 40));
    await expect(loadTfjsModelFile(path)).rejects.toThrow(/weight files hold 40 bytes but the manifest needs \d+/);
  });

  it('says what a corrupt or foreign model.json is and what is expected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xai-bad-'));
    writeFileSync(join(dir, 'model.json'), '{"modelTopology": {"class_name": ');
    await expect(loadTfjsModelFile(join(dir, 'model.json'))).rejects.toThrow(/model\.json is not valid JSON .*expected a tfjs model\.json/);
    writeFileSync(join(dir, 'other.json'), '{"name": "package"}');
    await expect(loadTfjsModelFile(join(dir, 'other.json'))).rejects.toThrow(/other\.json has no "modelTopology"/);
    await expect(loadTfjsModelFile(join(dir, 'nothing.json'))).rejects.toThrow(/model\.json not found: .*nothing\.json/);
  });
});
