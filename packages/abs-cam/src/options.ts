import type { LongWorkOptions } from '@xai/core';

export type AbsCamVariant = 'init' | 'final';

export interface AbsCamOptions extends LongWorkOptions {
  /**
   * The layer whose activations are weighted, named as the model names it (a Keras layer name,
   * `outer/inner` in a nested model, a PyTorch module path such as `layer4`). Default: the model's
   * the last feature map before the head (`defaultFeatureLayer` of @xai/core).
   */
  layer?: string;
  /** The class explained: an index or one of the model's class names. Default: the top-1 class. */
  target?: number | string;
}

export interface AbsCamRunOptions extends AbsCamOptions {
  variant: AbsCamVariant;
}
