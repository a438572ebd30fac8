import * as tf from '@tensorflow/tfjs-core';
import { XaiError } from '../errors.js';

/**
 * The most a tfjs-backend-wasm 4.22 heap can grow to (its Emscripten build's `getHeapMax`): wasm32
 * addresses, 4 GiB less one 64 KiB page. A browser may allow less.
 */
export const WASM_HEAP_MAX = 4294901760;

/** The share of the wasm heap one gradient batch may take (the rest: weights, fragmentation, XNNPACK's own buffers). */
const WASM_GRADIENT_SHARE = 0.5;

/**
 * An allocation the backend could not make. On wasm this replaces what tfjs-backend-wasm does when
 * its heap is full: `_malloc` returns 0 and the backend writes the tensor at address 0, over the
 * module's own data, which later fails as "memory access out of bounds" or "null function" — or
 * not at all, with wrong numbers.
 */
export class OutOfMemoryError extends XaiError {
  constructor(
    readonly bytes: number,
    readonly backend: string,
  ) {
    super(`the ${backend} backend could not allocate ${bytes} bytes (${formatMiB(bytes)}): its memory is full`);
    this.name = 'OutOfMemoryError';
  }
}

let budgetOverride: number | undefined;

/**
 * Sets the bytes one batch of input gradients may take (their peak of tensor memory), in place of
 * the backend's default (`gradientMemoryBudget`); `undefined` puts the default back. Returns the
 * setting it replaced. For apps that know their memory better, and for tests.
 */
export function setGradientMemoryBudget(bytes: number | undefined): number | undefined {
  if (bytes !== undefined && !(bytes > 0)) {
    throw new XaiError(`a gradient memory budget is a number of bytes above 0 (or undefined for the default), got ${bytes}`);
  }
  const previous = budgetOverride;
  budgetOverride = bytes;
  return previous;
}

/**
 * The bytes of tensor memory one batch of input gradients may take on the active backend above
 * what is already allocated, or `undefined` when the backend has no fixed limit worth splitting
 * for (cpu, WebGL, native TensorFlow: the batch runs whole, as given). On wasm: half of the
 * heap's 4 GiB ceiling, less the tensors already there. A gradient keeps every activation of the
 * forward pass for the backward one — a ResNet-18 at 224×224 about 150–180 MiB per image, some
 * 35 times what a forward pass holds at once — so a batch that a forward pass takes easily may not
 * fit as a gradient.
 */
export function gradientMemoryBudget(): number | undefined {
  if (budgetOverride !== undefined) return budgetOverride;
  if (tf.getBackend() !== 'wasm') return undefined;
  return Math.max(0, WASM_HEAP_MAX * WASM_GRADIENT_SHARE - tf.memory().numBytes);
}

interface WasmModule {
  _malloc(bytes: number): number;
}

/**
 * Runs `run` — synchronously, as `withoutWeightGradients` — and returns its result with the peak of
 * tensor memory it reached above where it started (sampled at every allocation of the backend).
 * On wasm, an allocation the heap cannot make throws an `OutOfMemoryError` instead of going on
 * with a null pointer (see `OutOfMemoryError`); tfjs's scopes then dispose what `run` made.
 */
export function watchMemory<T>(run: () => T): { value: T; peakBytes: number } {
  const backend = tf.backend() as tf.KernelBackend & { wasm?: WasmModule };
  const backendName = tf.getBackend();
  const start = tf.memory().numBytes;
  let peak = start;
  const hadOwnWrite = Object.prototype.hasOwnProperty.call(backend, 'write');
  const write = backend.write;
  backend.write = function (this: tf.KernelBackend, values, shape, dtype) {
    const bytes = shape.reduce((a: number, b: number) => a * b, 1) * (dtype === 'string' ? 0 : tf.util.bytesPerElement(dtype));
    peak = Math.max(peak, tf.memory().numBytes + bytes);
    return write.call(this, values, shape, dtype);
  };
  const wasm = backendName === 'wasm' ? backend.wasm : undefined;
  const malloc = wasm?._malloc;
  if (wasm && malloc) {
    wasm._malloc = (bytes: number) => {
      const address = malloc.call(wasm, bytes);
      if (address === 0 && bytes > 0) throw new OutOfMemoryError(bytes, backendName);
      return address;
    };
  }
  try {
    const value = run();
    if (value && typeof (value as { then?: unknown }).then === 'function') {
      throw new XaiError('watchMemory runs synchronous work only (allocations of an asynchronous one would escape it)');
    }
    return { value, peakBytes: peak - start };
  } finally {
    if (hadOwnWrite) backend.write = write;
    else delete (backend as Partial<tf.KernelBackend>).write;
    if (wasm && malloc) wasm._malloc = malloc;
  }
}

function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
