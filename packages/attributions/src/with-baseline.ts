import { XaiError, type MethodDescriptor } from '@xai/core';
import { givenBaseline, type BaselineSource, type GivenBaseline } from './baseline.js';
import { integratedGradientsWith } from './integrated-gradients.js';
import { occlusionWith } from './occlusion.js';
import { smoothGradWith } from './smoothgrad.js';

const TAKE_A_BASELINE: Record<string, (source: BaselineSource) => MethodDescriptor> = {
  'integrated-gradients': integratedGradientsWith,
  occlusion: occlusionWith,
  smoothgrad: smoothGradWith,
};

/** The ids of the methods `withBaseline` accepts. */
export const BASELINE_METHODS: readonly string[] = Object.keys(TAKE_A_BASELINE);

/**
 * `method` starting from the user's baseline instead of zeros or a blur: its `baseline` parameter
 * then has the single value `given.label`, which maps and run keys record.
 */
export function withBaseline(method: MethodDescriptor, given: GivenBaseline): MethodDescriptor {
  const make = TAKE_A_BASELINE[method.id];
  if (!make) throw new XaiError(`${method.id} takes no baseline; the methods that do: ${BASELINE_METHODS.join(', ')}`);
  return make(givenBaseline(given));
}
