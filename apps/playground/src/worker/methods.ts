import { MethodRegistry } from '@xai/core';
import { ABS_CAM_METHODS } from '@xai/abs-cam';
import { ATTRIBUTION_METHODS } from '@xai/attributions';
import { CAM_METHODS } from '@xai/cam';
import { RISE_METHODS } from '@xai/rise';

/** Every method the playground offers; the page learns them from the `init` reply. */
export const registry = new MethodRegistry([...RISE_METHODS, ...ABS_CAM_METHODS, ...CAM_METHODS, ...ATTRIBUTION_METHODS]);
