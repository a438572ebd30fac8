import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { BASELINES, BASELINE_METHODS, withBaseline } from '@xai/attributions';
import { XaiError, npyToFloat32, parseNpy, type Classifier, type MethodDescriptor } from '@xai/core';
import * as tf from '@tensorflow/tfjs-core';
import { type OptionSpec, type ParsedArgs, UsageError, stringOption } from './command.js';
import { channelsLast, modelInputAxes } from './inputs.js';

/** `--baseline` takes a file besides the named baselines; its help says so. */
export function baselineFlag(option: OptionSpec): OptionSpec {
  return {
    ...option,
    value: `${BASELINES.join('|')}|FILE.npy`,
    description: `${option.description}; or FILE.npy, a preprocessed input in the model's layout (1×C×H×W for PyTorch exports)`,
  };
}

/**
 * `--baseline FILE.npy`: the methods that take a baseline start from the file's input instead.
 * The file is read and checked against the model before any image is: its shape must be one
 * input in the model's own layout, with or without the batch axis. The baseline then records the
 * file's name and content hash, so a resumed run notices a changed file.
 */
export function withBaselineFile(
  methods: readonly MethodDescriptor[],
  model: Classifier,
  args: ParsedArgs,
): { methods: MethodDescriptor[]; args: ParsedArgs } {
  const raw = stringOption(args, 'baseline');
  if (raw === undefined || (BASELINES as readonly string[]).includes(raw)) return { methods: [...methods], args };
  const accepted = `--baseline takes ${BASELINES.join(', ')} or FILE.npy`;
  if (!raw.endsWith('.npy')) throw new UsageError(`${accepted}; got "${raw}"`);
  if (!existsSync(raw)) throw new UsageError(`${accepted}; the file ${raw} does not exist`);
  if (args.values['blur-sigma'] !== undefined) throw new UsageError('--blur-sigma goes with --baseline blur, not with a baseline file');
  const bytes = new Uint8Array(readFileSync(raw));
  let array;
  try {
    array = parseNpy(bytes, raw);
  } catch (error) {
    if (error instanceof XaiError) throw new UsageError(error.message);
    throw error;
  }
  const { height, width, channels, layout } = model.input;
  const expected = modelInputAxes(model);
  const shape = array.shape.length === expected.length + 1 && array.shape[0] === 1 ? array.shape.slice(1) : array.shape;
  if (shape.length !== 3 || shape.some((d, i) => d !== expected[i])) {
    throw new UsageError(
      `--baseline ${raw} has shape (${array.shape.join(', ')}); the model takes one input of (1, ${expected.join(', ')}) in ${layout} layout`,
    );
  }
  const asGiven = tf.tensor4d(npyToFloat32(array), [1, ...expected] as [number, number, number, number]);
  const nhwc = channelsLast(asGiven, model);
  const values = Float32Array.from(nhwc.dataSync());
  tf.dispose([asGiven, nhwc]);
  const label = `${basename(raw)} sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}`;
  const given = { values, height, width, channels, label };
  return {
    methods: methods.map((m) => (BASELINE_METHODS.includes(m.id) ? withBaseline(m, given) : m)),
    args: { ...args, values: { ...args.values, baseline: label } },
  };
}

