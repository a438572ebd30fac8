// The browser backends, best first. A bundle can only use backends it imports, so all are here.
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import './wasm-assets.js';
import { selectBackend, BROWSER_BACKENDS } from '@xai/core';
import type { BackendInfo } from '../protocol.js';
import { wasmThreads } from '../logic/threads.js';
import { softwareGpu } from './gpu-probe.js';

let threads = 1;

/** The wasm threads of this worker, tfjs-wasm's and onnxruntime-web's (set by `startBackend`). */
export function wasmThreadCount(): number {
  return threads;
}

/**
 * Activates WebGPU, else WebGL, else wasm (else plain JS). A GPU backend that the browser
 * emulates in software is passed over: it runs these models 25–90× slower than wasm.
 * `prefer` forces a backend, emulated or not; `askedThreads` the wasm threads (see `wasmThreads`).
 */
export async function startBackend(prefer?: string, askedThreads?: number): Promise<BackendInfo> {
  threads = wasmThreads((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true, navigator.hardwareConcurrency, askedThreads);
  // tfjs reads it once, when the wasm backend initialises, which selectBackend does below.
  setThreadsCount(threads);
  if (prefer) {
    const choice = await selectBackend({ candidates: BROWSER_BACKENDS, prefer });
    return { id: choice.id, skipped: choice.skipped, ...(await wasmDetails(choice.id)) };
  }
  const passedOver: BackendInfo['skipped'] = [];
  const candidates = [];
  for (const candidate of BROWSER_BACKENDS) {
    const software = await softwareGpu(candidate.backend);
    if (software) passedOver.push({ id: candidate.id, reason: `emulated in software (${software}); slower than wasm` });
    else candidates.push(candidate);
  }
  const choice = await selectBackend({ candidates });
  return { id: choice.id, skipped: [...passedOver, ...choice.skipped], ...(await wasmDetails(choice.id)) };
}

/**
 * How wasm runs: SIMD, threads (these need a cross-origin isolated page, for SharedArrayBuffer)
 * and the binary actually fetched, as the worker's resource timings name it.
 */
async function wasmDetails(id: string): Promise<Pick<BackendInfo, 'wasm' | 'crossOriginIsolated'>> {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (id !== 'wasm') return { crossOriginIsolated: isolated };
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threadsSupported = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
  const fetched = performance
    .getEntriesByType('resource')
    .map((e) => e.name.split('/').pop() ?? '')
    .filter((name) => name.includes('tfjs-backend-wasm') && name.endsWith('.wasm'));
  const cores = navigator.hardwareConcurrency || 1;
  return { crossOriginIsolated: isolated, wasm: { simd, threads: threadsSupported ? getThreadsCount() : 1, cores, binary: fetched.at(-1) ?? 'unknown' } };
}
