import { XaiError, isNode, type InputSpec } from '@xai/core';
import { modelShape } from './interface.js';

/** The part of onnxruntime's API the classifier uses (same in onnxruntime-node and -web). */
interface OrtTensor {
  data: unknown;
  dims: readonly number[];
  dispose?(): void;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>, fetches: string[]): Promise<Record<string, OrtTensor>>;
  release?(): Promise<void>;
}

/**
 * An onnxruntime module as `import * as ort from 'onnxruntime-web'` (or `-node`) gives it: the
 * part of its API the classifier uses.
 */
export interface OnnxRuntime {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  InferenceSession: {
    create(model: string, options?: object): Promise<OrtSession>;
    create(model: Uint8Array, options?: object): Promise<OrtSession>;
  };
  /** `versions` names the flavour (`web`, `node`); onnxruntime-common ≥ 1.17 has it. */
  env?: { versions?: { web?: string; node?: string } };
}

/** A float32 tensor on the host, as onnxruntime takes and gives it. */
export interface OrtValue {
  data: Float32Array;
  dims: number[];
}

/** Runs an ONNX model's batched passes on onnxruntime. */
export interface OrtRunner {
  /** `onnxruntime-node` or `onnxruntime-web`. */
  readonly engine: string;
  /**
   * The model's input → output (the names it was opened with). With `owned`, the runner may take
   * `data` over (a thread runner moves its buffer).
   */
  run(data: Float32Array, dims: readonly number[], owned?: boolean): Promise<OrtValue>;
  /** Any float32 inputs → the outputs named in `fetch`; the runner may take every feed's data over. */
  runFeeds(feeds: Readonly<Record<string, OrtValue>>, fetch: readonly string[]): Promise<Record<string, OrtValue>>;
  dispose(): Promise<void>;
}

/** `run` in terms of `runFeeds`, for runners opened on one input and one output. */
export function runOne(runner: Pick<OrtRunner, 'runFeeds'>, inputName: string, outputName: string, data: Float32Array, dims: readonly number[]): Promise<OrtValue> {
  return runner.runFeeds({ [inputName]: { data, dims: [...dims] } }, [outputName]).then((out) => out[outputName]);
}

// A variable specifier keeps bundlers from resolving the optional peer at build time.
const importOptional = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

/** The onnxruntime package for this platform, or why it cannot be used. */
export async function importOrt(): Promise<{ module?: OnnxRuntime; name: string; reason?: string }> {
  const name = isNode() ? 'onnxruntime-node' : 'onnxruntime-web';
  try {
    const m = (await importOptional(name)) as OnnxRuntime & { default?: OnnxRuntime };
    const module = m.InferenceSession ? m : m.default;
    if (!module?.InferenceSession) return { name, reason: 'the package has no InferenceSession' };
    return { module, name };
  } catch (error) {
    const code = (error as { code?: string }).code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    return { name, reason: missing ? 'not installed' : (error as Error).message };
  }
}

/**
 * The module the caller handed over (`options.ort`: a bundled app's only way, since bundlers skip
 * the import below), else the platform's package imported by name.
 */
function findOrt(given: unknown): Promise<{ module?: OnnxRuntime; name: string; reason?: string }> {
  if (given === undefined) return importOrt();
  const module = given as Partial<OnnxRuntime> & { default?: OnnxRuntime };
  const ort = module.InferenceSession ? module : module.default;
  if (typeof ort?.InferenceSession?.create !== 'function' || typeof ort.Tensor !== 'function') {
    throw new XaiError('options.ort is not an onnxruntime module (it has no InferenceSession.create or Tensor); pass what `import * as ort from "onnxruntime-web"` gives');
  }
  return Promise.resolve({ module: ort as OnnxRuntime, name: ortFlavour(ort as OnnxRuntime) });
}

/** `onnxruntime-web` or `onnxruntime-node`, as the module's own `env.versions` says. */
export function ortFlavour(ort: OnnxRuntime): string {
  const versions = ort.env?.versions;
  if (versions?.web) return 'onnxruntime-web';
  if (versions?.node) return 'onnxruntime-node';
  return isNode() ? 'onnxruntime-node' : 'onnxruntime-web';
}

export interface OrtRunnerOptions {
  /** onnxruntime's intra-op threads (default: its own choice, the physical cores). */
  threads?: number;
  externalData?: Record<string, Uint8Array>;
  /** The onnxruntime module (see `OnnxModelOptions.ort`); default: the platform's package. */
  ort?: unknown;
  /**
   * onnxruntime's memory pattern (default on): after a first run it plans one block for every
   * intermediate value, beside its arena. Gradient sessions turn it off: with large batches the
   * second run's peak would otherwise be nearly twice the first's, for no gain in speed.
   */
  memoryPattern?: boolean;
}

/** Opens an onnxruntime session on `model` (bytes, or a path onnxruntime reads), or says why it cannot. */
export type OpenOrtRunner = (
  model: Uint8Array | string,
  inputName: string,
  outputName: string,
  options?: OrtRunnerOptions,
) => Promise<{ runner?: OrtRunner; reason?: string; name: string }>;

/** The session options every onnxruntime session here is created with. */
export function ortSessionOptions(options: OrtRunnerOptions): Record<string, unknown> {
  return {
    graphOptimizationLevel: 'all',
    ...(options.threads ? { intraOpNumThreads: options.threads } : {}),
    ...(options.memoryPattern === false ? { enableMemPattern: false } : {}),
    ...(options.externalData ? { externalData: Object.entries(options.externalData).map(([path, data]) => ({ path, data })) } : {}),
  };
}

/** A session on this thread (the default `OpenOrtRunner`; Node's loader uses a thread of its own). */
export const createOrtRunner: OpenOrtRunner = async (model, inputName, outputName, options = {}) => {
  const found = await findOrt(options.ort);
  if (!found.module) return { name: found.name, reason: found.reason };
  const ort = found.module;
  let session: OrtSession;
  try {
    const sessionOptions = ortSessionOptions(options);
    session = await (typeof model === 'string' ? ort.InferenceSession.create(model, sessionOptions) : ort.InferenceSession.create(model, sessionOptions));
  } catch (error) {
    return { name: found.name, reason: `onnxruntime could not load the model: ${(error as Error).message}` };
  }
  const runOnce = async (feeds: Readonly<Record<string, OrtValue>>, fetch: readonly string[]) => {
    const tensors = Object.fromEntries(Object.entries(feeds).map(([name, v]) => [name, new ort.Tensor('float32', v.data, v.dims)]));
    let result: Record<string, OrtTensor>;
    try {
      result = await session.run(tensors, [...fetch]);
    } catch (error) {
      throw new XaiError(`onnxruntime failed to run the model: ${(error as Error).message}`, { cause: error });
    }
    const answer: Record<string, OrtValue> = {};
    for (const name of fetch) {
      const out = result[name];
      answer[name] = { data: out.data instanceof Float32Array ? out.data : Float32Array.from(out.data as ArrayLike<number>), dims: [...out.dims] };
    }
    for (const [name, t] of Object.entries(result)) if (!fetch.includes(name)) t.dispose?.();
    return answer;
  };
  // One run at a time (two batches may be in flight): onnxruntime-web's GPU providers refuse a
  // run while another is going.
  let previous: Promise<unknown> = Promise.resolve();
  const runner: OrtRunner = {
    engine: found.name,
    run(data, dims) {
      return runOne(runner, inputName, outputName, data, dims);
    },
    runFeeds(feeds, fetch) {
      const result = previous.then(() => runOnce(feeds, fetch));
      previous = result.catch(() => undefined);
      return result;
    },
    async dispose() {
      await previous;
      await session.release?.();
    },
  };
  return { runner, name: found.name };
};

/**
 * onnxruntime on `rows` images of NCHW (or NHWC) `data`: in one run, or with a fixed batch
 * (`unit`) in runs of that size, the last padded with zeros. Returns the logits, row after row.
 * With `owned`, `data` may be taken over by the runner.
 */
export async function runOrtRows(
  ort: OrtRunner,
  data: Float32Array,
  rows: number,
  model: { unit?: number; numClasses: number; outputName: string; input: InputSpec },
  owned = false,
): Promise<Float32Array> {
  const k = model.numClasses;
  const logits = new Float32Array(rows * k);
  if (rows === 0) return logits;
  const unit = model.unit ?? rows;
  const perImage = data.length / rows;
  for (let start = 0; start < rows; start += unit) {
    const n = Math.min(unit, rows - start);
    let feed = data.subarray(start * perImage, (start + n) * perImage);
    let ownsFeed = owned && n === rows;
    if (n < unit) {
      const padded = new Float32Array(unit * perImage);
      padded.set(feed);
      feed = padded;
      ownsFeed = true;
    }
    const out = await ort.run(feed, modelShape(model.input, unit), ownsFeed);
    if (out.data.length !== unit * k) {
      throw new XaiError(
        `onnxruntime returned "${model.outputName}" as [${out.dims.join(', ')}] for a batch of ${unit}; the model was loaded as giving [${unit}, ${k}]`,
      );
    }
    logits.set(out.data.subarray(0, n * k), start * k);
  }
  return logits;
}
