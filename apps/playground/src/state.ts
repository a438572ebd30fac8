import type { RawImage, SaliencyMap } from '@xai/core';
import type { BackendInfo, EvaluateResult, MethodInfo, ModelInfo, PredictResult } from './protocol.js';
import type { ComparisonEntry } from './ui/results.js';

/** What the page knows: set by main.ts, read by the views and the test hook. */
export interface PageState {
  backend?: BackendInfo;
  /** The methods the worker registered, in its order. */
  methods: MethodInfo[];
  model?: ModelInfo;
  /** The decoded image as given (before resizing). */
  image?: RawImage;
  imageName?: string;
  prediction?: PredictResult;
  explained?: { method: string; maps: SaliencyMap[]; seconds: number };
  curves?: EvaluateResult;
  comparison: ComparisonEntry[];
}

export const state: PageState = { methods: [], comparison: [] };
