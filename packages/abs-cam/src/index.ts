export { absCam, absCamInit, absCamFinal } from './abs-cam.js';
export type { AbsCamOptions, AbsCamRunOptions, AbsCamVariant } from './options.js';
export { channelWeights, channelMasks, initMap, normalizeEach, upsample, maskImage, weightedMaskSum } from './maps.js';
