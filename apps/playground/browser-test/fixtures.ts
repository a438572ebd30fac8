// Files the tests drop into the page.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';

export interface DroppedFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

const tinyChelsea = resolve(import.meta.dirname, '../node_modules/@xai/testing/fixtures/tiny-chelsea');

/** A tfjs model.json + weights whose input is a vector, not an image. */
export async function vectorModelFiles(): Promise<DroppedFile[]> {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [8], name: 'dense' })] });
  let files: DroppedFile[] = [];
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const json = {
        format: 'layers-model',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['vector.weights.bin'], weights: artifacts.weightSpecs }],
      };
      files = [
        { name: 'model.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(json)) },
        { name: 'vector.weights.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(artifacts.weightData as ArrayBuffer) },
      ];
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  return files;
}

/** The golden case's ONNX network (a small ResNet, 64×64, 4 classes). */
export function tinyResnetOnnx(): DroppedFile {
  return { name: 'tiny-resnet.onnx', mimeType: 'application/octet-stream', buffer: readFileSync(resolve(tinyChelsea, 'model.onnx')) };
}

/** A small torchvision ViT (32×32, 4×4 patches of 8, 10 classes, seeded weights; packages/onnx's token fixtures). */
export function tinyVitOnnx(): DroppedFile {
  const tokens = resolve(import.meta.dirname, '../node_modules/@xai/onnx/fixtures/tokens');
  return { name: 'vit-opset17.onnx', mimeType: 'application/octet-stream', buffer: readFileSync(resolve(tokens, 'vit-opset17.onnx')) };
}

/** The same network with every Relu renamed to an operator nobody implements (same length, so the protobuf stays valid). */
export function unsupportedOpOnnx(): DroppedFile {
  const bytes = Buffer.from(tinyResnetOnnx().buffer);
  const from = Buffer.from('Relu');
  for (let at = bytes.indexOf(from); at >= 0; at = bytes.indexOf(from, at + 4)) bytes.write('Relx', at, 'latin1');
  return { name: 'unsupported-op.onnx', mimeType: 'application/octet-stream', buffer: bytes };
}

export function notAnImage(): DroppedFile {
  return { name: 'holiday.png', mimeType: 'image/png', buffer: Buffer.from('these are words, not pixels\n') };
}

/** A 16×16 CNN with Celu, which onnxruntime runs and the tfjs graph does not implement (packages/onnx's token fixtures). */
export function celuCnnOnnx(): DroppedFile {
  const tokens = resolve(import.meta.dirname, '../node_modules/@xai/onnx/fixtures/tokens');
  return { name: 'celu-cnn.onnx', mimeType: 'application/octet-stream', buffer: readFileSync(resolve(tokens, 'celu-cnn.onnx')) };
}
