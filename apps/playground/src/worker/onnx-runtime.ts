// onnxruntime-web for the forward passes of ONNX models, started on first use (the demo model never needs it).
import { XaiError } from '@xai/core';
import type { OnnxRuntime } from '@xai/onnx';
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import ortGlue from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';

export interface StartedRuntime {
  ort: OnnxRuntime;
  /** The threads its wasm backend runs on: as asked, or 1 when it found no SharedArrayBuffer (read after a session started). */
  threads(): number;
}

let started: Promise<StartedRuntime> | undefined;

/**
 * The wasm-only build of onnxruntime-web, told where Vite put its binary and the Emscripten glue
 * that loads it (the glue also starts the threads), and how many threads to run.
 */
export function onnxRuntime(threads: number): Promise<StartedRuntime> {
  started ??= import('onnxruntime-web/wasm').then(
    (ort) => {
      ort.env.wasm.wasmPaths = { wasm: ortWasm, mjs: ortGlue };
      ort.env.wasm.numThreads = threads;
      return { ort, threads: () => ort.env.wasm.numThreads ?? 1 };
    },
    (error: unknown) => {
      throw new XaiError(`onnxruntime-web, which runs ONNX models here, could not be loaded: ${(error as Error).message}`, { cause: error });
    },
  );
  // A failed start (a missing asset) is tried again with the next model.
  started.catch(() => {
    started = undefined;
  });
  return started;
}
