// The typed messages between the page and the worker that does all tensor work.
import type { InputSpec, LayerInfo, ProgressEvent, RawImage, SaliencyMap } from '@xai/core';

export type MethodId = 'rise' | 'rise-gaussian' | 'abs-cam-init' | 'abs-cam-final';

export const METHOD_IDS: readonly MethodId[] = ['rise', 'rise-gaussian', 'abs-cam-init', 'abs-cam-final'];

export interface RiseParams {
  n: number;
  s: number;
  /** Binary masks only. */
  p1: number;
  seed: number;
  scores: 'prob' | 'logit';
  batchSize: number;
}

export interface AbsCamParams {
  /** Empty: the model's default layer. */
  layer: string;
  batchSize: number;
}

export interface MethodParams {
  rise: RiseParams;
  absCam: AbsCamParams;
}

/** Where the model comes from. Files cross into the worker by structured clone. */
export type ModelSource =
  | { kind: 'demo' }
  | { kind: 'tfjs'; files: File[] }
  | { kind: 'onnx'; name: string; bytes: ArrayBuffer };

export interface ModelInfo {
  name: string;
  input: InputSpec;
  numClasses: number;
  classNames?: readonly string[];
  engine: string;
  preprocessing: string;
  /** Layers Abs-CAM can use; empty for black-box models. */
  camLayers: LayerInfo[];
  defaultCamLayer?: string;
  /** A note shown beside the model (e.g. the demo weights are untrained). */
  note?: string;
}

export interface Prediction {
  classIndex: number;
  className?: string;
  probability: number;
}

export interface PredictResult {
  top: Prediction[];
  /** The image as the model sees it (resized, before mean/std): what overlays are drawn on. */
  modelView: RawImage;
}

export interface MaskSample {
  /** `count × height × width`, values in [0, 1]. */
  data: Float32Array;
  count: number;
  height: number;
  width: number;
}

export interface ExplainResult {
  method: MethodId;
  /** The map of the class asked for first; RISE also returns other classes' maps after it. */
  maps: SaliencyMap[];
  /** A few of the masks used (RISE only). */
  masks?: MaskSample;
  seconds: number;
}

export interface CurveSummary {
  scores: number[];
  auc: number;
  classIndex: number;
  step: number;
  substrate: string;
}

export interface EvaluateResult {
  insertion: CurveSummary;
  deletion: CurveSummary;
}

export interface BackendInfo {
  id: string;
  skipped: { id: string; reason: string }[];
}

/** Each request type, with what it carries and what its reply carries. */
export interface Requests {
  /** `demoBase`: the URL of the demo folder the build wrote (model and samples). */
  init: { request: { prefer?: string; demoBase: string }; reply: BackendInfo };
  'load-model': { request: { source: ModelSource; preprocessing?: string }; reply: ModelInfo };
  predict: { request: { image: RawImage }; reply: PredictResult };
  explain: {
    request: { method: MethodId; classIndex: number; params: MethodParams; allClasses: boolean; maskSamples: number };
    reply: ExplainResult;
  };
  evaluate: { request: { map: SaliencyMap; step?: number }; reply: EvaluateResult };
}

export type RequestType = keyof Requests;

export type RequestMessage = {
  [K in RequestType]: { type: K; id: number } & Requests[K]['request'];
}[RequestType];

export interface CancelMessage {
  type: 'cancel';
  /** The request to stop. */
  id: number;
}

export type ToWorker = RequestMessage | CancelMessage;

export type FromWorker =
  | { type: 'reply'; id: number; reply: unknown }
  | { type: 'progress'; id: number; event: ProgressEvent }
  | { type: 'error'; id: number; error: { name: string; message: string } };
