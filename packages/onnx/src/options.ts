import type { Preprocessing } from '@xai/core';
import type { ExternalDataReader } from './host.js';
import type { OnnxRuntime, OpenOrtRunner } from './ort.js';

export type OnnxEngine = 'auto' | 'tfjs' | 'onnxruntime';

export interface OnnxModelOptions {
  /** A preset name (`imagenet`, `unit`, …) or the values; default `unit`. */
  preprocessing?: string | Partial<Preprocessing>;
  classNames?: readonly string[];
  /** Input [height, width] (or one number for both); needed when the model's spatial size is dynamic. */
  inputSize?: number | readonly [number, number];
  /**
   * Who runs `predict` and the gradients: `onnxruntime` (onnxruntime-node in Node, onnxruntime-web
   * in browsers; an error when missing), `tfjs` (the differentiable graph), or `auto` (onnxruntime
   * when installed). On onnxruntime, gradients run as gradient graphs (see `xai gradients`); a
   * model whose graph has an operator without a backward recipe takes them from the tfjs graph.
   */
  engine?: OnnxEngine;
  /** External tensor data by file name (models saved with `save_as_external_data`). */
  externalData?: Record<string, Uint8Array>;
  /** Threads for onnxruntime (default: its own choice). */
  threads?: number;
  /**
   * The onnxruntime module to run `predict` on (`import * as ort from 'onnxruntime-web'`), for
   * bundled apps: without it the package imports `onnxruntime-node` or `onnxruntime-web` by a
   * name bundlers do not see. Set its `env` (wasm paths, threads) before loading.
   */
  ort?: OnnxRuntime;
  /**
   * The graph output that holds the logits, by name or position (default: the output named
   * `logits`, as Hugging Face Optimum and torch exports name it, else the first).
   */
  output?: string | number;
}

/** Internal: how the loader hands the model over. */
export interface OnnxSource {
  bytes: Uint8Array;
  /** Name for messages (a path or "the model"). */
  name: string;
  readExternal?: ExternalDataReader;
  /** What onnxruntime should load when the bytes alone are not enough (external data): a path. */
  ortModel?: string;
  /** How to open onnxruntime sessions (default `createOrtRunner`, on the calling thread). */
  openOrt?: OpenOrtRunner;
}
