import { XaiError, listForMessage, type InputSpec } from '@xai/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { DeclaredValue } from './graph.js';

/** 8192 × 8192 RGB. */
export const MAX_INPUT_VALUES = 8192 * 8192 * 3;

/** The logits output: `wanted` by name or position, else the one named `logits`, else the first. */
export function chooseOutput(outputs: readonly DeclaredValue[], wanted: string | number | undefined, model: string): DeclaredValue {
  const names = outputs.map((o) => o.name);
  if (typeof wanted === 'number') {
    if (!Number.isInteger(wanted) || wanted < 0 || wanted >= outputs.length) {
      throw new XaiError(`${model}: output ${wanted} does not exist; the model has ${outputs.length} output(s): ${listForMessage(names)}`);
    }
    return outputs[wanted];
  }
  if (wanted !== undefined) {
    const found = outputs.find((o) => o.name === wanted);
    if (!found) throw new XaiError(`${model}: no output is named "${wanted}"; outputs: ${listForMessage(names)}`);
    return found;
  }
  return outputs.find((o) => o.name === 'logits') ?? outputs[0];
}

export function checkImageBatch(input: InputSpec, batch: tf.Tensor, what: string): void {
  const { height, width, channels } = input;
  const s = batch.shape;
  if (batch.rank !== 4 || s[1] !== height || s[2] !== width || s[3] !== channels) {
    throw new XaiError(`${what} takes preprocessed NHWC input [B, ${height}, ${width}, ${channels}], got [${s.join(', ')}]`);
  }
  if (batch.dtype !== 'float32') throw new XaiError(`${what} takes float32 input, got ${batch.dtype}`);
}

export function modelShape(input: InputSpec, batch: number): number[] {
  const { height, width, channels, layout } = input;
  return layout === 'NCHW' ? [batch, channels, height, width] : [batch, height, width, channels];
}

export function inputSpec(declared: DeclaredValue, inputSize: number | readonly [number, number] | undefined, name: string): InputSpec {
  const dims = declared.dims!;
  const channelsFirst = typeof dims[1] === 'number' && dims[1] <= 4;
  const channelsLast = typeof dims[3] === 'number' && dims[3] <= 4;
  const layout = channelsFirst || !channelsLast ? 'NCHW' : 'NHWC';
  const [c, h, w] = layout === 'NCHW' ? [dims[1], dims[2], dims[3]] : [dims[3], dims[1], dims[2]];
  if (typeof c !== 'number' || c < 1) throw new XaiError(`${name}: the input "${declared.name}" has no fixed channel count (dims [${dims.join(', ')}])`);
  let size: [number, number] | undefined;
  if (inputSize !== undefined) {
    size = typeof inputSize === 'number' ? [inputSize, inputSize] : [inputSize[0], inputSize[1]];
    if (!size.every((s) => Number.isInteger(s) && s > 0)) throw new XaiError(`inputSize must be positive integers, got ${JSON.stringify(inputSize)}`);
  }
  const fixed = (d: unknown, i: 0 | 1, axis: string): number => {
    if (typeof d === 'number' && d > 0) {
      if (size && size[i] !== d) throw new XaiError(`inputSize ${size.join('×')} differs from the model's fixed ${axis} ${d}`);
      return d;
    }
    if (size) return size[i];
    throw new XaiError(
      `${name}: the input "${declared.name}" has a dynamic ${axis} (dims [${dims.map((x) => x ?? '?').join(', ')}]); pass inputSize: [height, width]`,
    );
  };
  const spec: InputSpec = { height: fixed(h, 0, 'height'), width: fixed(w, 1, 'width'), channels: c, layout };
  if (spec.height * spec.width * spec.channels > MAX_INPUT_VALUES) {
    throw new XaiError(`${name}: an input of ${spec.height}×${spec.width}×${spec.channels} is larger than supported (${MAX_INPUT_VALUES} values per image)`);
  }
  return spec;
}
