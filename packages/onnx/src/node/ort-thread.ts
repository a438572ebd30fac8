import { Worker } from 'node:worker_threads';
import { XaiError } from '@xai/core';
import { createOrtRunner, ortSessionOptions, type OpenOrtRunner, type OrtRunner, type OrtValue } from '../ort.js';

const WORKER_SCRIPT = new URL('./ort-thread-worker.js', import.meta.url);

type FromThread =
  | { type: 'ready' }
  | { type: 'unusable'; reason: string }
  | { type: 'result'; id: number; outputs: Record<string, OrtValue> }
  | { type: 'failed'; id: number; reason: string }
  | { type: 'released' };

interface Pending {
  resolve(value: Record<string, OrtValue>): void;
  reject(error: Error): void;
  /** Settles with the call. */
  settled: Promise<unknown>;
}

/**
 * onnxruntime-node's `run` blocks the thread that calls it for the whole pass. On a thread of its
 * own, the caller's thread stays free meanwhile: a pipelined method makes its next batch, progress
 * is reported, a cancellation is seen. The thread holds the process only while a pass is pending.
 * A module handed over in `options.ort` cannot cross threads: that session stays in-process, as
 * does one whose thread fails to start.
 */
export const createThreadedOrtRunner: OpenOrtRunner = async (model, inputName, outputName, options = {}) => {
  if (options.ort !== undefined) return createOrtRunner(model, inputName, outputName, options);
  const name = 'onnxruntime-node';
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SCRIPT, {
      workerData: { model, sessionOptions: ortSessionOptions(options) },
      // Flags a worker refuses (--input-type, as `node --input-type=module -e` gives) are not passed on.
      execArgv: process.execArgv.filter((flag) => !flag.startsWith('--input-type')),
    });
  } catch {
    return createOrtRunner(model, inputName, outputName, options);
  }
  const started = await new Promise<FromThread | Error>((resolve) => {
    worker.once('message', resolve);
    worker.once('error', resolve);
    worker.once('exit', (code) => resolve(new Error(`it exited with code ${code}`)));
  });
  if (started instanceof Error) {
    await worker.terminate();
    return createOrtRunner(model, inputName, outputName, options);
  }
  if (started.type === 'unusable') {
    await worker.terminate();
    return { name, reason: started.reason };
  }
  return { runner: threadRunner(worker, name, inputName, outputName), name };
};

function threadRunner(worker: Worker, engine: string, inputName: string, outputName: string): OrtRunner {
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let stopped: string | undefined;
  let released: (() => void) | undefined;
  let disposing: Promise<void> | undefined;
  const hold = () => (pending.size > 0 ? worker.ref() : worker.unref());

  worker.on('message', (message: FromThread) => {
    if (message.type === 'released') return released?.();
    if (message.type !== 'result' && message.type !== 'failed') return;
    const call = pending.get(message.id);
    if (!call) return; // its call was already failed (the thread stopped)
    pending.delete(message.id);
    hold();
    if (message.type === 'result') call.resolve(message.outputs);
    else call.reject(new XaiError(`onnxruntime failed to run the model: ${message.reason}`));
  });
  const stop = (reason: string) => {
    stopped ??= reason;
    for (const call of pending.values()) call.reject(new XaiError(`onnxruntime's thread stopped: ${stopped}`));
    pending.clear();
    released?.();
  };
  worker.on('error', (error) => stop(error.message));
  worker.on('exit', (code) => stop(`it exited with code ${code}`));
  worker.unref();

  // Moved rather than cloned: `data` itself when it is ours and the whole of its buffer, else a copy of just these values.
  const movable = (data: Float32Array, owned: boolean) => {
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
    return (owned && whole ? data : data.slice()) as Float32Array<ArrayBuffer>;
  };
  const send = (feeds: Readonly<Record<string, OrtValue>>, fetch: readonly string[], owned: boolean) => {
    if (stopped) return Promise.reject(new XaiError(`onnxruntime's thread stopped: ${stopped}`));
    const moved = Object.fromEntries(Object.entries(feeds).map(([name, v]) => [name, { data: movable(v.data, owned), dims: [...v.dims] }]));
    const id = nextId++;
    let call!: Pending;
    const result = new Promise<Record<string, OrtValue>>((resolve, reject) => {
      call = { resolve, reject, settled: Promise.resolve() };
    });
    call.settled = result.catch(() => undefined);
    pending.set(id, call);
    hold();
    worker.postMessage({ id, feeds: moved, fetch: [...fetch] }, Object.values(moved).map((v) => v.data.buffer));
    return result;
  };
  return {
    engine,
    run(data, dims, owned = false) {
      return send({ [inputName]: { data, dims: [...dims] } }, [outputName], owned).then((out) => out[outputName]);
    },
    runFeeds(feeds, fetch) {
      return send(feeds, fetch, true);
    },
    dispose() {
      disposing ??= (async () => {
        if (stopped) return void (await worker.terminate());
        stopped = 'the model was disposed';
        // Passes already sent finish first: the session is released after them.
        await Promise.allSettled([...pending.values()].map((call) => call.settled));
        await new Promise<void>((resolve) => {
          released = resolve;
          worker.ref();
          worker.postMessage({ type: 'release' });
        });
        await worker.terminate();
      })();
      return disposing;
    },
  };
}
