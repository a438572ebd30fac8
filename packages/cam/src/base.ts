import * as tf from '@tensorflow/tfjs-core';
import {
  camFromLayers,
  distinctRows,
  runOverlapped,
  saliencyMap,
  scoped,
  throwIfAborted,
  type LayerGradient,
  type LayerHandle,
  type MethodContext,
  type MethodDescriptor,
  type Paper,
  type Params,
  type ParamSpec,
  type ResolvedTarget,
  type SaliencyMap,
  type WhiteBoxClassifier,
} from '@xai/core';

/**
 * The CAM family over one base, after pytorch-grad-cam's BaseCAM: for each layer and target the
 * base gets the layer's activations (and the gradient of the target's logit), a method turns them
 * into a raw map `[1, h, w, 1]`, and core's `camFromLayers` does the rest (ReLU, normalise, resize
 * to the input, mean over the layers, normalise). A method states only its raw map.
 */

/** What a method without gradients is handed, for one layer and one target. */
export interface ActivationPass {
  /** The preprocessed image, NHWC `[1, H, W, C]`. */
  image: tf.Tensor4D;
  layer: LayerHandle;
  /** Position of `layer` in `context.layers`. */
  layerIndex: number;
  target: ResolvedTarget;
  /** The layer's output, NHWC `[1, h, w, k]`. */
  activations: tf.Tensor4D;
  /** Logits of the same forward pass, `[1, numClasses]`. */
  logits: tf.Tensor2D;
  /**
   * Plain data (no tensors) kept for the layer across targets, for work that does not depend on
   * the class, such as the logits of every masked or ablated pass.
   */
  memo: Map<string, unknown>;
  /** Adds a record to the map's `params` (one value per layer; an array when there are several). */
  record(name: string, value: unknown): void;
}

/** What a gradient method is handed: the above and `G = ∂y_c/∂A`. */
export interface GradientPass extends ActivationPass {
  /** Gradient of the target's raw logit with respect to the activations, NHWC `[1, h, w, k]`. */
  gradient: tf.Tensor4D;
}

/** The run a pass belongs to. */
export interface CamEnv {
  model: WhiteBoxClassifier;
  params: Params;
  context: MethodContext;
  /** The input size `[H, W]`, the size of the maps. */
  size: [number, number];
}

/** A raw map `[1, h, w, 1]` (tensors it creates and does not return are disposed). */
type RawMap = tf.Tensor | Promise<tf.Tensor>;

interface CamCommon {
  id: string;
  label: string;
  paper: Paper;
  params?: readonly ParamSpec[];
  /** Refuses a model the method cannot work with, before any input is read (throw an `XaiError`). */
  check?(model: WhiteBoxClassifier): void;
}

export type CamDefinition = CamCommon &
  (
    | { usesGradient: true; raw(pass: GradientPass, env: CamEnv): RawMap }
    | { usesGradient: false; raw(pass: ActivationPass, env: CamEnv): RawMap }
  );

/** A CAM as a method plug-in: white-box, at one or more layers (aggregated), one map per target. */
export function defineCam(definition: CamDefinition): MethodDescriptor {
  return {
    id: definition.id,
    label: definition.label,
    paper: definition.paper,
    box: 'white',
    layers: 'many',
    params: definition.params ?? [],
    check: definition.check && ((model) => definition.check!(model as WhiteBoxClassifier)),
    run: (model, image, params, context) => runCam(definition, model as WhiteBoxClassifier, image, params, context),
  };
}

async function runCam(
  definition: CamDefinition,
  model: WhiteBoxClassifier,
  image: tf.Tensor4D,
  params: Params,
  context: MethodContext,
): Promise<SaliencyMap[]> {
  const env: CamEnv = { model, params, context, size: [model.input.height, model.input.width] };
  const { targets, layers } = context;
  const raws: tf.Tensor[][] = targets.map(() => []);
  const records = targets.map(() => new Map<string, unknown[]>());
  const memos = layers.map(() => new Map<string, unknown>());
  /** The raw map of target `t` at layer `layerIndex`, from its pass. */
  const rawMap = async (layerIndex: number, t: number, pass: LayerGradient) => {
    const base: ActivationPass = {
      image,
      layer: layers[layerIndex],
      layerIndex,
      target: targets[t],
      activations: pass.activations,
      logits: pass.logits,
      memo: memos[layerIndex],
      record: (name, value) => {
        const values = records[t].get(name) ?? [];
        values[layerIndex] = value;
        records[t].set(name, values);
      },
    };
    raws[t][layerIndex] = await scoped(() =>
      definition.usesGradient ? definition.raw({ ...base, gradient: pass.gradient }, env) : definition.raw(base, env),
    );
  };
  try {
    if (definition.usesGradient && model.layerGradients) {
      // Every layer and `batchSize` targets in one pass where the engine can.
      for (let start = 0; start < targets.length; start += context.batchSize) {
        throwIfAborted(context.signal);
        const chunk = targets.slice(start, start + context.batchSize);
        const passes = await model.layerGradients(image, layers, chunk.map((t) => t.index));
        try {
          for (const layerIndex of layers.keys()) for (const i of chunk.keys()) await rawMap(layerIndex, start + i, passes[layerIndex][i]);
        } finally {
          passes.flat().forEach(disposePass);
        }
      }
    } else {
      for (const [layerIndex, layer] of layers.entries()) {
        // Without gradients the activations do not depend on the class: one pass serves every target.
        let shared: LayerGradient | undefined;
        try {
          for (const [t, target] of targets.entries()) {
            throwIfAborted(context.signal);
            const pass = shared ?? (await model.activationsAndGradient(image, layer, target.index));
            if (!definition.usesGradient) shared = pass;
            try {
              await rawMap(layerIndex, t, pass);
            } finally {
              if (definition.usesGradient) disposePass(pass);
            }
          }
        } finally {
          if (shared) disposePass(shared);
        }
      }
    }
    const maps: SaliencyMap[] = [];
    for (const [t, target] of targets.entries()) {
      const cam = camFromLayers(raws[t], env.size);
      let data: Float32Array;
      try {
        data = Float32Array.from(await cam.data());
      } finally {
        cam.dispose();
      }
      const params: Record<string, unknown> = {};
      for (const [name, values] of records[t]) params[name] = layers.length === 1 ? values[0] : values;
      maps.push(
        saliencyMap({ data, height: env.size[0], width: env.size[1], classIndex: target.index, className: target.name, method: definition.id, params }),
      );
    }
    return maps;
  } finally {
    tf.dispose(raws.flat());
  }
}

/** Adapters may `tf.keep` what they return, so a scope alone would not free it. */
function disposePass(pass: LayerGradient): void {
  tf.dispose([pass.activations, pass.gradient, pass.logits]);
}

/** `Σ_k w_k · A_k`: activations `[1, h, w, k]`, weights broadcast against them (e.g. `[1, 1, 1, k]`). */
export function weightedSum(activations: tf.Tensor4D, weights: tf.Tensor): tf.Tensor4D {
  return tf.sum(tf.mul(activations, weights), 3, true) as tf.Tensor4D;
}

/** `Σ_k x_k`, keeping the channel axis: `[1, h, w, k]` → `[1, h, w, 1]`. */
export function channelSum(x: tf.Tensor): tf.Tensor4D {
  return tf.sum(x, 3, true) as tf.Tensor4D;
}

/**
 * The logits of one forward pass per channel of the layer, every class, row-major
 * `[k][numClasses]`: `input(channels)` makes the input of those channels' passes (a batch, with
 * tensor ops), `score(input)` runs them (`[channels.length, numClasses]`); the next batch's input
 * is made while the engine runs the current one. With `sameInput` (read only when the logits are
 * not cached yet: one row per channel, `rowLength` values each, what the channel's input is made
 * from), channels whose rows are byte-identical make the same input, so only the first of them
 * is run and the others share its logits. Runs in batches of
 * `context.batchSize` with progress (`stage`; `done` counts channels over all the layers of the
 * run) and cancellation; computed once per layer and shared by the targets, since the passes do
 * not depend on the class.
 */
export async function channelLogits(
  pass: ActivationPass,
  env: CamEnv,
  stage: string,
  passes: { input: (channels: number[]) => tf.Tensor4D; score: (input: tf.Tensor4D) => Promise<tf.Tensor2D> },
  sameInput?: () => Promise<{ rows: Float32Array; rowLength: number }>,
): Promise<Float32Array> {
  const key = `channel-logits:${stage}`;
  const cached = pass.memo.get(key);
  if (cached instanceof Float32Array) {
    pass.record('passes', pass.memo.get(`${key}:passes`));
    return cached;
  }
  const { context, model } = env;
  const channels = (layer: LayerHandle) => layer.shape[layer.shape.length - 1];
  const offset = context.layers.slice(0, pass.layerIndex).reduce((sum, l) => sum + channels(l), 0);
  const total = context.layers.reduce((sum, l) => sum + channels(l), 0);
  const k = pass.activations.shape[3];
  const classes = model.numClasses;
  const everyChannel = Array.from({ length: k }, (_, i) => i);
  const same = sameInput && (await sameInput());
  const groups = same ? distinctRows(same.rows, same.rowLength) : undefined;
  const run = groups?.representatives ?? everyChannel;
  const distinct = new Float32Array(run.length * classes);
  // Progress counts channels: those that share a pass are done with it.
  const covered = new Int32Array(run.length + 1);
  for (let g = 0; g < run.length; g++) covered[g + 1] = covered[g] + (groups ? groups.sizes[g] : 1);
  const { onProgress } = context;
  await runOverlapped(
    run.length,
    (range) => passes.input(run.slice(range.start, range.end)),
    async (input, range) => {
      const logits = await passes.score(input);
      try {
        const rows = range.end - range.start;
        if (logits.shape[0] !== rows || logits.shape[1] !== classes) {
          throw new Error(`${stage}: expected logits [${rows}, ${classes}] for ${rows} channels, got [${logits.shape.join(', ')}]`);
        }
        return (await logits.data()) as Float32Array;
      } finally {
        logits.dispose();
      }
    },
    (values, range) => distinct.set(values, range.start * classes),
    {
      batchSize: context.batchSize,
      signal: context.signal,
      stage,
      onProgress: onProgress && ((event) => onProgress({ stage, done: offset + covered[event.done], total })),
    },
  );
  pass.record('passes', run.length);
  pass.memo.set(`${key}:passes`, run.length);
  const out = groups ? new Float32Array(k * classes) : distinct;
  if (groups) groups.groupOf.forEach((group, channel) => out.set(distinct.subarray(group * classes, (group + 1) * classes), channel * classes));
  pass.memo.set(key, out);
  return out;
}

/** Column `classIndex` of row-major `[rows][classes]` logits. */
export function classColumn(logits: Float32Array, classes: number, classIndex: number): Float32Array {
  const rows = logits.length / classes;
  return Float32Array.from({ length: rows }, (_, r) => logits[r * classes + classIndex]);
}
