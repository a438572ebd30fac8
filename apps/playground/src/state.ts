import type { RawImage, SaliencyMap } from '@xai/core';
import type { BackendInfo, EvaluateResult, MethodInfo, ModelInfo, ModelSource, PredictResult } from './protocol.js';
import type { ComparisonEntry } from './ui/results.js';

/** What the page knows: set by main.ts, read by the views and the test hook. */
export interface PageState {
  backend?: BackendInfo;
  /** The methods the worker registered, in its order. */
  methods: MethodInfo[];
  model?: ModelInfo;
  /** Where the model came from, to set it up again when the preprocessing changes. */
  source?: ModelSource;
  /** The decoded image as given (before resizing). */
  image?: RawImage;
  imageName?: string;
  prediction?: PredictResult;
  explained?: { method: string; maps: SaliencyMap[]; seconds: number; gradients?: string };
  curves?: EvaluateResult;
  comparison: ComparisonEntry[];
  /** The methods of the comparison being shown, in grid order (empty: none shown). */
  compared: MethodInfo[];
}

export const state: PageState = { methods: [], comparison: [], compared: [] };
