import type { BackendInfo, PassEngine } from '../protocol.js';
import { MAX_WASM_THREADS } from './threads.js';

const threadCount = (n: number) => (n > 1 ? `${n} threads` : '1 thread');

const workerCount = (n: number) => (n > 1 ? `${n} workers` : '1 worker');

/** True when an ONNX model's gradient graphs run on onnxruntime-web (`ModelInfo.gradients`). */
export const gradientsOnOrt = (gradients?: string): boolean => gradients?.startsWith('onnxruntime-web') === true;

/**
 * The backend badge: `wasm · SIMD · 2 threads`, or the backend's id for the GPU backends; when
 * the model's passes run elsewhere (onnxruntime-web, a pool of Web Workers), that too:
 * `… · passes: onnxruntime-web · 2 threads` (`passes and gradients: …` when its gradients run
 * there as well), `… · passes: tfjs-wasm · 2 workers`, and
 * `… · passes: tfjs-wasm · in-process (the pool failed)` once a pool gave up. What the badge
 * does not name runs on the backend it starts with.
 */
export function backendBadge(info: BackendInfo, passes?: PassEngine, gradients?: string): string {
  const parts = info.id === 'wasm' && info.wasm ? ['wasm', info.wasm.simd ? 'SIMD' : 'no SIMD', threadCount(info.wasm.threads)] : [info.id];
  if (passes?.engine === 'onnxruntime-web') {
    const what = gradientsOnOrt(gradients) ? 'passes and gradients' : 'passes';
    parts.push(`${what}: onnxruntime-web${passes.threads ? ` · ${threadCount(passes.threads)}` : ''}`);
  }
  else if (passes?.inProcess) parts.push(`passes: tfjs-${passes.backend ?? info.id} · in-process (the pool failed)`);
  else if (passes?.workers) parts.push(`passes: tfjs-${passes.backend ?? info.id} · ${workerCount(passes.workers)}`);
  return parts.join(' · ');
}

/** Who runs the passes, for a model whose `engine` (`Classifier.engine`) is this; `ortThreads`: onnxruntime-web's. */
export function passEngine(engine: string | undefined, ortThreads: number): PassEngine {
  return engine?.startsWith('onnxruntime-web') ? { engine: 'onnxruntime-web', threads: ortThreads } : { engine: 'tfjs' };
}

/**
 * The lines behind the badge: the binary, isolation, who runs the passes and (`gradients`, see
 * `ModelInfo.gradients`) the layers and gradients, and why better backends were passed over.
 */
export function backendNotes(info: BackendInfo, passes?: PassEngine, gradients?: string): string[] {
  const notes: string[] = [];
  if (info.wasm) {
    notes.push(`wasm binary: ${info.wasm.binary}`);
    if (info.crossOriginIsolated) notes.push(`threads: ${info.wasm.threads} (one per logical core, ${info.wasm.cores} here, at most ${MAX_WASM_THREADS})`);
  }
  notes.push(
    info.crossOriginIsolated
      ? 'cross-origin isolated: wasm may use threads'
      : 'not cross-origin isolated (the server sends no COOP/COEP headers): wasm runs on one thread',
  );
  if (passes?.engine === 'onnxruntime-web') {
    const graph = gradientsOnOrt(gradients) ? 'onnxruntime-web, wasm, through gradient graphs' : gradients ? `the tfjs graph, ${gradients}` : 'none (black-box)';
    notes.push(`forward passes (RISE, Score-CAM, Occlusion, the metrics): onnxruntime-web, wasm, ${threadCount(passes.threads ?? 1)}; layers and gradients: ${graph}`);
  } else if (passes?.inProcess) {
    notes.push(`forward passes: tfjs (${passes.backend ?? info.id}) in the app's worker, because the worker pool failed: ${passes.inProcess}`);
  } else if (passes?.workers) {
    notes.push(
      `forward passes (RISE, Score-CAM, Occlusion, the metrics): tfjs (${passes.backend ?? info.id}) on ${workerCount(passes.workers)}, each with its own copy of the model, in place of wasm threads (the page is not cross-origin isolated); layers and gradients: the app's worker`,
    );
  } else if (passes) {
    notes.push(`forward passes: tfjs (${info.id})`);
  }
  for (const s of info.skipped) notes.push(`${s.id} passed over: ${s.reason}`);
  if (info.skipped.length === 0) notes.push('first choice');
  return notes;
}
