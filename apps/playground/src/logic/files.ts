import { XaiError } from '@xai/core';

export type ModelFiles = { kind: 'onnx'; file: File } | { kind: 'tfjs'; files: File[] };

/** Sorts dropped files into an ONNX model or a tfjs model.json with its weights, or says what is wrong. */
export function classifyModelFiles(files: readonly File[]): ModelFiles {
  if (files.length === 0) throw new XaiError('No files were given; drop model.json with its weight files, or one .onnx file');
  const onnx = files.filter((f) => f.name.toLowerCase().endsWith('.onnx'));
  if (onnx.length > 1) throw new XaiError(`${onnx.length} .onnx files were given; drop one model at a time`);
  if (onnx.length === 1) return { kind: 'onnx', file: onnx[0] };
  const json = files.filter((f) => f.name.toLowerCase().endsWith('.json'));
  if (json.length === 0) {
    throw new XaiError(`None of ${files.map((f) => f.name).join(', ')} is a model: drop model.json with its weight files, or an .onnx file`);
  }
  if (json.length > 1) throw new XaiError(`${json.length} .json files were given; drop one model.json with its weight files`);
  return { kind: 'tfjs', files: [...files] };
}

/** True when the file claims to be an image (decoding still decides). */
export function looksLikeImage(file: File): boolean {
  return file.type.startsWith('image/') || /\.(png|jpe?g|gif|webp|bmp|avif)$/i.test(file.name);
}
