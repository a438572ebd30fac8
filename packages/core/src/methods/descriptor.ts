import type * as tf from '@tensorflow/tfjs-core';
import { isWhiteBox, type Classifier, type LayerHandle, type WhiteBoxClassifier } from '../classifier.js';
import { XaiError, throwIfAborted } from '../errors.js';
import { checkBatchSize, DEFAULT_BATCH_SIZE, scoped } from '../batching.js';
import type { LongWorkOptions } from '../progress.js';
import type { SaliencyMap } from '../saliency.js';
import { defaultFeatureLayer, requireFeatureMap } from '../models/layer-search.js';
import { checkImage } from './image.js';
import { parseParams, type Params, type ParamSpec } from './params.js';
import { namedTargets, resolveTargets, type ResolvedTarget, type Targets } from './targets.js';

export interface Paper {
  title: string;
  authors: string;
  year: number;
  url: string;
}

/** What a method's `run` is handed: everything checked and resolved. */
export interface MethodContext extends LongWorkOptions {
  /** The classes to explain, resolved (one map each, in this order). */
  targets: readonly ResolvedTarget[];
  /** The layers to work at (empty for methods that use none). */
  layers: readonly LayerHandle[];
  batchSize: number;
}

/**
 * A method as a plug-in: who it is, what it takes, and `run`. Everything common (parameter
 * checks, the image check, targets, layers, batching) is done before `run` by `prepareMethod`.
 */
export interface MethodDescriptor<P extends Params = Params> {
  /** Lower-case, dash-separated: `grad-cam`, the `--method` value and the file stem. */
  id: string;
  /** How the method reads in titles and tables: `Grad-CAM`. */
  label: string;
  paper: Paper;
  /** `black`: needs only `predict`; `white`: needs layer activations and gradients. */
  box: 'black' | 'white';
  /** Layers it works at: none, exactly one, or one or more (aggregated). */
  layers: 'none' | 'one' | 'many';
  /** True when one run yields every class's map at the cost of one (RISE). */
  everyClassAtOnce?: boolean;
  params: readonly ParamSpec[];
  /**
   * Refuses a model the method cannot work with, or parameters that do not fit it (a window larger
   * than the image), by throwing an `XaiError`; called by `prepareMethod` with the checked
   * parameters, before any input is read.
   */
  check?(model: Classifier, params: P): void;
  /** `model` is white-box when `box` is `white`. Returns one map per target, in order. */
  run(model: Classifier, image: tf.Tensor4D, params: P, context: MethodContext): Promise<SaliencyMap[]>;
}

export interface ExplainOptions extends LongWorkOptions {
  /** The method's parameters, typed or as text; missing ones take their defaults. */
  params?: Record<string, unknown>;
  /** The classes to explain; the top class by default. */
  targets?: Targets;
  /** Layer name(s), as the model names them; default: the last feature map before the head. */
  layer?: string | readonly string[];
  /** The methods the app offers: a white-box method refused on a black-box model names those that work. */
  offered?: readonly MethodDescriptor[];
}

/** A method checked against a model before any input is read. */
export interface PreparedMethod {
  method: MethodDescriptor;
  params: Params;
  layers: LayerHandle[];
  layerChosenBy?: 'default' | 'caller';
  targets: Targets;
  /** Targets that needed no forward pass, resolved. */
  named?: ResolvedTarget[];
  batchSize: number;
}

/**
 * Checks a method's parameters, the model's kind, the layers and the named classes, and resolves
 * the layers to handles, all before any input is read; throws an `XaiError` (an
 * `UnknownLayerError` for a layer name) saying what was wrong and what is accepted.
 */
export function prepareMethod(method: MethodDescriptor, model: Classifier, options: ExplainOptions = {}): PreparedMethod {
  const params = parseParams(method.params, options.params, method.id);
  const batchSize = checkBatchSize(options.batchSize ?? DEFAULT_BATCH_SIZE);
  if (method.box === 'white' && !isWhiteBox(model)) throw new XaiError(blackBoxRefusal(method, model, options.offered));
  method.check?.(model, params);
  const named = namedTargets(model, options.targets ?? 'top');
  const base = { method, params, targets: options.targets ?? 'top', named, batchSize };
  const names = options.layer === undefined ? [] : typeof options.layer === 'string' ? [options.layer] : [...options.layer];
  if (method.layers === 'none') {
    if (names.length) throw new XaiError(`${method.label} works on the input and takes no layer; got layer ${names.join(', ')}`);
    return { ...base, layers: [] };
  }
  const whiteBox = model as WhiteBoxClassifier;
  if (method.layers === 'one' && names.length > 1) {
    throw new XaiError(`${method.label} works at one layer; got ${names.length}: ${names.join(', ')}`);
  }
  const chosen = names.length ? names : [defaultFeatureLayer(whiteBox)];
  const layers = chosen.map((name) => {
    const handle = whiteBox.resolveLayer(name);
    requireFeatureMap(handle, whiteBox.layers(), method.label);
    return handle;
  });
  return { ...base, layers, layerChosenBy: names.length ? 'caller' : 'default' };
}

/**
 * Why a white-box method cannot run on `model`, and — given the methods an app offers — which
 * ones can (every black-box method).
 */
export function blackBoxRefusal(method: MethodDescriptor, model: Classifier, offered?: readonly MethodDescriptor[]): string {
  const why = model.whiteBoxUnavailable ?? `this model (engine ${model.engine}) can only predict`;
  const working = (offered ?? []).filter((m) => m.box === 'black').map((m) => m.id);
  return (
    `${method.label} needs a model that gives layer activations and gradients (a tfjs LayersModel or GraphModel, ` +
    `or an ONNX model the tfjs graph can run); ${why}.` +
    (working.length ? ` Methods that work on it (black-box): ${working.join(', ')}.` : ' Black-box methods (which need only predictions) work on it.')
  );
}

/** Runs a prepared method on one image; the maps record the method, its parameters and layers. */
export async function runPrepared(
  prepared: PreparedMethod,
  model: Classifier,
  image: tf.Tensor,
  work: LongWorkOptions = {},
): Promise<SaliencyMap[]> {
  const { method, params, layers, batchSize } = prepared;
  throwIfAborted(work.signal);
  return scoped(async () => {
    const input = checkImage(model, image, method.label);
    const targets = prepared.named ?? (await resolveTargets(model, input, prepared.targets));
    throwIfAborted(work.signal);
    const maps = await method.run(model, input, params, { ...work, targets, layers, batchSize });
    const record = {
      ...params,
      ...(layers.length
        ? { layer: layers.map((l) => l.name).join(','), layerShape: layers.length === 1 ? layers[0].shape : layers.map((l) => l.shape), layerChosenBy: prepared.layerChosenBy }
        : {}),
      engine: model.engine,
      batchSize,
    };
    return maps.map((map) => {
      const target = targets.find((t) => t.index === map.classIndex);
      return { ...map, method: method.id, params: { ...record, ...(target ? { targetChosenBy: target.chosenBy } : {}), ...map.params } };
    });
  });
}

/** `prepareMethod` then `runPrepared`: one method on one image. */
export async function explainWith(
  method: MethodDescriptor,
  model: Classifier,
  image: tf.Tensor,
  options: ExplainOptions = {},
): Promise<SaliencyMap[]> {
  return runPrepared(prepareMethod(method, model, options), model, image, options);
}
