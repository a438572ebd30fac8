// The entry of a pool worker thread (see `nodeWorkers`).
import { parentPort } from 'node:worker_threads';
import { serveModel } from '../pool/serve.js';
import type { FromWorker, ToWorker } from '../pool/protocol.js';

const port = parentPort!;
serveModel({
  post: (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer),
  onMessage: (handler: (message: ToWorker) => void) => port.on('message', handler),
});
