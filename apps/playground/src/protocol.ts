// The typed messages between the page and the worker that does all tensor work.
import type { InputSpec, LayerInfo, Paper, ParamSpec, ProgressEvent, RawImage, SaliencyMap, Targets } from '@xai/core';

/**
 * A method as the page sees it: the registry's descriptor without `run`, as plain data, so the
 * page builds its method list, form and labels from what the worker registered.
 */
export interface MethodInfo {
  id: string;
  label: string;
  paper: Paper;
  box: 'black' | 'white';
  layers: 'none' | 'one' | 'many';
  everyClassAtOnce: boolean;
  params: ParamSpec[];
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
  /** True when the model gives layer activations and gradients (white-box methods run on it). */
  whiteBox: boolean;
  /** The feature-map layers layer methods can use; empty for black-box models. */
  featureLayers: LayerInfo[];
  /** The layer layer methods use when none is named (`defaultFeatureLayer`). */
  defaultLayer?: string;
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
  /** Every class index, most probable first. */
  ranked: number[];
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

export interface ExplainRequest {
  /** A registered method id. */
  method: string;
  /** The method's parameters as the form's text; the worker checks them with the method's specs. */
  params: Record<string, string>;
  /** The classes to explain, the asked-for class first. */
  targets: Targets;
  /** Layer name(s) for layer methods; absent: the model's default feature layer. */
  layer?: string | string[];
  batchSize: number;
  /** How many of the masks to send back, for methods that draw masks. */
  maskSamples: number;
}

export interface ExplainResult {
  method: string;
  /** One map per target, in the order asked for. */
  maps: SaliencyMap[];
  /** A few of the masks used (methods that draw masks, e.g. RISE). */
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
  init: { request: { prefer?: string; demoBase: string }; reply: { backend: BackendInfo; methods: MethodInfo[] } };
  'load-model': { request: { source: ModelSource; preprocessing?: string }; reply: ModelInfo };
  predict: { request: { image: RawImage }; reply: PredictResult };
  explain: { request: ExplainRequest; reply: ExplainResult };
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
