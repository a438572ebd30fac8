// Files the tests drop into the page.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { preprocessingPreset } from '@xai/core';
import { readFixtureFloat32 } from '@xai/testing';
import { encodePngSync } from '@xai/viz';

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

/**
 * The golden case's input (`input.npy`, 1×3×64×64, ImageNet mean/std) as the 64×64 PNG it was
 * made from: with the ImageNet preset the page preprocesses it back to the same values.
 */
export function tinyChelseaInputPng(): DroppedFile {
  const { data: values } = readFixtureFloat32('tiny-chelsea', 'input.npy');
  const { mean, std } = preprocessingPreset('imagenet');
  const size = 64 * 64;
  const data = new Uint8ClampedArray(size * 4).fill(255);
  for (let c = 0; c < 3; c++) for (let p = 0; p < size; p++) data[p * 4 + c] = Math.round((values[c * size + p] * std[c] + mean[c]) * 255);
  return { name: 'tiny-chelsea-64.png', mimeType: 'image/png', buffer: Buffer.from(encodePngSync({ data, width: 64, height: 64 })) };
}

/**
 * The golden network declared at opset 10 (its last bytes are the opset import, 13): onnxruntime
 * and the tfjs graph run it, but gradient graphs need opset 11, so its gradients come from the
 * tfjs graph.
 */
export function opset10Onnx(): DroppedFile {
  const bytes = Buffer.from(tinyResnetOnnx().buffer);
  if (bytes.subarray(-4).toString('hex') !== '4202100d') throw new Error('tiny-chelsea model.onnx no longer ends with its opset import (13)');
  bytes[bytes.length - 1] = 10;
  return { name: 'opset-10.onnx', mimeType: 'application/octet-stream', buffer: bytes };
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
