import type { MethodDescriptor } from '@xai/core';
import { ablationCam } from './ablation-cam.js';
import { eigenCam } from './eigen-cam.js';
import { gradCamElementwise } from './grad-cam-elementwise.js';
import { gradCamPlusPlus } from './grad-cam-plus-plus.js';
import { gradCam } from './grad-cam.js';
import { guidedGradCam } from './guided-grad-cam.js';
import { hiResCam } from './hires-cam.js';
import { layerCam } from './layer-cam.js';
import { scoreCam } from './score-cam.js';
import { xGradCam } from './xgrad-cam.js';

export { gradCam, guidedGradCam, gradCamPlusPlus, xGradCam, hiResCam, gradCamElementwise, layerCam, scoreCam, ablationCam, eigenCam };
export { defineCam, weightedSum, channelSum, channelLogits, type ActivationPass, type GradientPass, type CamEnv, type CamDefinition } from './base.js';
export { firstComponentProjection, correctSign, type Projection } from './principal-component.js';

/** The CAM family, in the order of SPEC.md's table (Guided Grad-CAM after Grad-CAM, Eigen-CAM last). */
export const CAM_METHODS: readonly MethodDescriptor[] = [
  gradCam,
  guidedGradCam,
  gradCamPlusPlus,
  xGradCam,
  hiResCam,
  gradCamElementwise,
  layerCam,
  scoreCam,
  ablationCam,
  eigenCam,
];
