export { absCam, absCamInit, absCamFinal, absCamInitMethod, absCamFinalMethod, ABS_CAM_METHODS } from './abs-cam.js';
export type { AbsCamOptions, AbsCamRunOptions, AbsCamVariant } from './options.js';
export { channelWeights, channelMasks, initMap, weightedChannels, weightedMaskSum } from './maps.js';
