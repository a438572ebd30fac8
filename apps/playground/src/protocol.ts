// The typed messages between the page and the worker that does all tensor work.
import type { InputSpec, LayerInfo, Paper, ParamSpec, Preprocessing, ProgressEvent, RawImage, SaliencyMap, Targets } from '@xai/core';

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

/** The page's Preprocessing and Resize choices; empty means the model's own. */
export interface PreprocessingChoice {
  preset?: string;
  resize?: string;
}

export interface ModelInfo {
  name: string;
  input: InputSpec;
  numClasses: number;
  classNames?: readonly string[];
  engine: string;
  /** Who runs the forward passes of black-box work (RISE, Score-CAM, Occlusion, the metrics). */
  passes: PassEngine;
  /**
   * Who computes layer activations and gradients, for white-box models: an ONNX model's gradient
   * graph on onnxruntime-web (`onnxruntime-web (gradient graph)`), else the tfjs backend
   * (`tfjs:wasm`, with the reason when an ONNX model's gradient graph could not be built).
   */
  gradients?: string;
  /** What is applied, in words (`ImageNet mean/std, resize pil-bilinear`). */
  preprocessing: string;
  /** The values applied. */
  applied: Preprocessing;
  /** True when the model gives layer activations and gradients (white-box methods run on it). */
  whiteBox: boolean;
  /** The feature-map layers layer methods can use; empty for black-box models. */
  featureLayers: LayerInfo[];
  /** The layer layer methods use when none is named (`defaultFeatureLayer`). */
  defaultLayer?: string;
  /** A note shown beside the model (e.g. the demo weights are untrained). */
  note?: string;
}

/**
 * `onnxruntime-web` (ONNX models) with the threads of its wasm backend, or `tfjs` (the backend in
 * use), on a pool of Web Workers when the page is not cross-origin isolated.
 */
export interface PassEngine {
  engine: 'onnxruntime-web' | 'tfjs';
  threads?: number;
  /** tfjs: the Web Workers `predict` is spread over, each with its own copy of the model. */
  workers?: number;
  /** tfjs, with a pool planned: the backend its workers run (`wasm`, `cpu`). */
  backend?: string;
  /** tfjs: why the passes run in the app's worker although a pool was planned (it failed). */
  inProcess?: string;
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
  /** The image as the model sees it (resized and cropped, before mean/std): what overlays are drawn on. */
  modelView: RawImage;
  /** The preprocessing steps applied to this image, one line each. */
  steps: string[];
  /** Where the model's view lies in the image, in the image's pixels (for full-resolution export). */
  window: { left: number; top: number; width: number; height: number };
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
  /** White-box methods: who computed the layers and gradients of this run (see `ModelInfo.gradients`). */
  gradients?: string;
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
  /** The AUCs of a seeded random map on the same image and class. */
  random: { insertion: number; deletion: number; seed: number };
}

export interface BackendInfo {
  id: string;
  skipped: { id: string; reason: string }[];
  /** Whether the worker is cross-origin isolated (SharedArrayBuffer, so wasm threads). */
  crossOriginIsolated?: boolean;
  /**
   * For wasm: SIMD, the threads it runs on (every logical core, at most 8, when cross-origin
   * isolated) and the binary it fetched.
   */
  wasm?: { simd: boolean; threads: number; cores: number; binary: string };
}

/** Each request type, with what it carries and what its reply carries. */
export interface Requests {
  /** `demoBase`: the URL of the demo folder the build wrote (model and samples); `threads`, `workers`: the URL's `?threads=`, `?workers=`. */
  init: { request: { prefer?: string; threads?: number; workers?: number; demoBase: string }; reply: { backend: BackendInfo; methods: MethodInfo[] } };
  'load-model': { request: { source: ModelSource; preprocessing?: PreprocessingChoice }; reply: ModelInfo };
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
  /** The current model's passes moved (its pool failed, so they run in the app's worker now). */
  | { type: 'passes'; passes: PassEngine }
  | { type: 'progress'; id: number; event: ProgressEvent }
  | { type: 'error'; id: number; error: { name: string; message: string } };
