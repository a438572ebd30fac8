import { describe, expect, test } from 'vitest';
import { classifyModelFiles, looksLikeImage } from '../src/logic/files.js';

const file = (name: string, type = '') => new File(['x'], name, { type });

describe('classifyModelFiles', () => {
  test('one .onnx file is an ONNX model', () => {
    const found = classifyModelFiles([file('resnet18.onnx')]);
    expect(found).toMatchObject({ kind: 'onnx' });
  });

  test('model.json with weight files is a tfjs model', () => {
    const found = classifyModelFiles([file('group1-shard1of1.bin'), file('model.json')]);
    expect(found.kind).toBe('tfjs');
    expect(found.kind === 'tfjs' && found.files).toHaveLength(2);
  });

  test.each([
    [[], /No files/],
    [[file('weights.bin')], /None of weights.bin is a model/],
    [[file('a.onnx'), file('b.onnx')], /2 .onnx files/],
    [[file('a.json'), file('b.json')], /2 .json files/],
  ])('refuses %#', (files, message) => {
    expect(() => classifyModelFiles(files as File[])).toThrow(message);
  });
});

describe('looksLikeImage', () => {
  test('goes by the type, then the extension', () => {
    expect(looksLikeImage(file('x', 'image/png'))).toBe(true);
    expect(looksLikeImage(file('cat.JPG'))).toBe(true);
    expect(looksLikeImage(file('notes.txt', 'text/plain'))).toBe(false);
  });
});
