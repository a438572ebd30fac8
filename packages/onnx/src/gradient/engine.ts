import { XaiError, type BackwardRule } from '@xai/core';
import type { OrtRunner, OrtValue } from '../ort.js';
import { buildGradientGraph, type ForwardModel, type GradientGraph, type GradientRequest } from './build.js';

/** What one gradient run gives, by layer label: values in the model's own (ONNX) layout. */
export interface GradientPass {
  /** `[rows, K]`. */
  logits: Float32Array;
  activations: Record<string, OrtValue>;
  gradients: Record<string, OrtValue>;
  /** With respect to the image, in the model's layout, when asked for. */
  input?: OrtValue;
}

export interface GradientRunRequest {
  layers?: readonly { label: string; value: string }[];
  input?: boolean;
  rule?: BackwardRule;
}

/** Opens an onnxruntime session on a gradient graph (on the same thread or worker as `predict`). */
export type OpenGradientSession = (graph: GradientGraph) => Promise<OrtRunner>;

/**
 * Gradients on onnxruntime: for each variant asked for (layers, input, rule) a gradient graph is
 * built and its session opened once, then reused. A run takes images in the model's layout and
 * one seed row of K logit weights per image; a model with a fixed batch runs in batches of that
 * size, the last padded with zero images whose seeds are zero.
 */
export class OrtGradients {
  private readonly sessions = new Map<string, Promise<{ runner: OrtRunner; graph: GradientGraph }>>();
  private disposed = false;

  constructor(
    private readonly forward: ForwardModel,
    private readonly open: OpenGradientSession,
    readonly engine: string,
    private readonly numClasses: number,
    private readonly fixedBatch?: number,
  ) {}

  /** The gradient graph of a variant (built and kept with its session). */
  async graph(request: GradientRunRequest): Promise<GradientGraph> {
    return (await this.session(request)).graph;
  }

  private session(request: GradientRunRequest): Promise<{ runner: OrtRunner; graph: GradientGraph }> {
    if (this.disposed) throw new XaiError('the model has been disposed');
    const key = JSON.stringify([request.layers?.map((l) => [l.label, l.value]) ?? [], Boolean(request.input), request.rule ?? 'gradient']);
    let session = this.sessions.get(key);
    if (!session) {
      const graphRequest: GradientRequest = { layers: request.layers, input: request.input, rule: request.rule };
      session = (async () => {
        const graph = buildGradientGraph(this.forward, graphRequest);
        return { runner: await this.open(graph), graph };
      })();
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    return session;
  }

  /**
   * One pass over `rows` images (`images`: the model's layout, `imageDims` of one row with batch
   * 1) seeded by `seeds` (`[rows, K]`). A batch onnxruntime has no memory for runs again in halves.
   */
  async run(request: GradientRunRequest, images: Float32Array, imageDims: readonly number[], seeds: Float32Array, rows: number): Promise<GradientPass> {
    const { runner, graph } = await this.session(request);
    const k = this.numClasses;
    if (seeds.length !== rows * k) throw new XaiError(`gradient seeds: expected ${rows}×${k} values, got ${seeds.length}`);
    const perImage = images.length / rows;
    const names = graph.names;
    const fetch = [names.logits, ...Object.values(names.activations), ...Object.values(names.gradients), ...(names.inputGradient ? [names.inputGradient] : [])];
    const parts: Record<string, OrtValue>[] = [];
    /** Rows `start … start + n` in one run (padded to the fixed batch); halved while onnxruntime runs out of memory. */
    const runRows = async (start: number, n: number): Promise<void> => {
      const size = this.fixedBatch ?? n;
      // Copies: the runner takes its feeds over, and a run that fails is tried again in halves.
      const x = padded(images.subarray(start * perImage, (start + n) * perImage), size * perImage);
      const s = padded(seeds.subarray(start * k, (start + n) * k), size * k);
      let out: Record<string, OrtValue>;
      try {
        out = await runner.runFeeds({ [names.image]: { data: x, dims: [size, ...imageDims.slice(1)] }, [names.seed]: { data: s, dims: [size, k] } }, fetch);
      } catch (error) {
        if (this.fixedBatch || n === 1 || !isOutOfMemory(error)) throw error;
        const half = Math.ceil(n / 2);
        await runRows(start, half);
        return runRows(start + half, n - half);
      }
      parts.push(n < size ? Object.fromEntries(Object.entries(out).map(([name, v]) => [name, firstRows(v, n)])) : out);
    };
    const unit = this.fixedBatch ?? rows;
    for (let start = 0; start < rows; start += unit) await runRows(start, Math.min(unit, rows - start));
    const joined = (name: string) => joinRows(parts.map((p) => p[name]));
    const byLabel = (list: Record<string, string>) => Object.fromEntries(Object.entries(list).map(([label, name]) => [label, joined(name)]));
    return {
      logits: joined(names.logits).data,
      activations: byLabel(names.activations),
      gradients: byLabel(names.gradients),
      ...(names.inputGradient ? { input: joined(names.inputGradient) } : {}),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const session of this.sessions.values()) void session.then(({ runner }) => runner.dispose(), () => undefined);
    this.sessions.clear();
  }
}

/** onnxruntime's words when an allocation fails. */
function isOutOfMemory(error: unknown): boolean {
  return /Failed to allocate|bad_alloc|out of memory/i.test((error as Error)?.message ?? '');
}

/** `values` copied into a new array of `length` (zeros after them). */
function padded(values: Float32Array, length: number): Float32Array {
  const out = new Float32Array(length);
  out.set(values);
  return out;
}

function firstRows(v: OrtValue, rows: number): OrtValue {
  const per = v.data.length / v.dims[0];
  return { data: v.data.subarray(0, rows * per), dims: [rows, ...v.dims.slice(1)] };
}

function joinRows(parts: OrtValue[]): OrtValue {
  if (parts.length === 1) return parts[0];
  const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
  let offset = 0;
  for (const p of parts) {
    data.set(p.data, offset);
    offset += p.data.length;
  }
  return { data, dims: [parts.reduce((n, p) => n + p.dims[0], 0), ...parts[0].dims.slice(1)] };
}
