// The thread an onnxruntime-node session lives on (see ort-thread.ts). Plain JavaScript, so the
// same file runs from the sources and from dist.
import { parentPort, workerData } from 'node:worker_threads';

const { model, sessionOptions } = workerData;
const port = parentPort;

let ort;
try {
  const module = await import('onnxruntime-node');
  ort = module.InferenceSession ? module : module.default;
} catch (error) {
  const missing = error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'MODULE_NOT_FOUND';
  port.postMessage({ type: 'unusable', reason: missing ? 'not installed' : error.message });
  process.exit(0);
}
if (!ort?.InferenceSession) {
  port.postMessage({ type: 'unusable', reason: 'the package has no InferenceSession' });
  process.exit(0);
}

let session;
try {
  session = await ort.InferenceSession.create(model, sessionOptions);
} catch (error) {
  port.postMessage({ type: 'unusable', reason: `onnxruntime could not load the model: ${error.message}` });
  process.exit(0);
}

port.on('message', async (message) => {
  if (message.type === 'release') {
    await session.release();
    port.postMessage({ type: 'released' });
    return;
  }
  const { id, feeds, fetch } = message;
  try {
    const tensors = Object.fromEntries(Object.entries(feeds).map(([name, v]) => [name, new ort.Tensor('float32', v.data, v.dims)]));
    const result = await session.run(tensors, fetch);
    // Copies this thread owns, so they can be transferred whatever backs onnxruntime's outputs.
    const outputs = Object.fromEntries(fetch.map((name) => [name, { data: Float32Array.from(result[name].data), dims: [...result[name].dims] }]));
    for (const tensor of Object.values(result)) tensor.dispose?.();
    port.postMessage({ type: 'result', id, outputs }, Object.values(outputs).map((v) => v.data.buffer));
  } catch (error) {
    port.postMessage({ type: 'failed', id, reason: error.message });
  }
});
port.postMessage({ type: 'ready' });
