import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../classifier.js';
import { selectBackend } from '../backend/select.js';
import type { FromWorker, ToWorker } from './protocol.js';
import type { ModelRecipe } from './recipe.js';

/** The worker's side of a message channel, as both `worker_threads` and Web Workers give it. */
export interface WorkerEndpoint {
  post(message: FromWorker, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: ToWorker) => void): void;
}

/**
 * The loop a worker runs: build the model from the recipe it is sent, then answer each `predict`
 * with the logits of its rows, one message at a time, in the order they came.
 */
export function serveModel(endpoint: WorkerEndpoint): void {
  let model: Promise<Classifier> | undefined;
  let queue = Promise.resolve();
  endpoint.onMessage((message) => {
    if (message.type === 'load') {
      model = build(message.recipe);
      model.then(
        () => endpoint.post({ type: 'ready' }),
        (error: unknown) => endpoint.post({ type: 'loadFailed', message: messageOf(error) }),
      );
      return;
    }
    const { id, data, shape } = message;
    queue = queue.then(async () => {
      try {
        if (!model) throw new Error('predict came before load');
        const logits = await predictRows(await model, data, shape);
        endpoint.post({ type: 'result', id, data: logits, rows: shape[0] }, [logits.buffer as ArrayBuffer]);
      } catch (error) {
        endpoint.post({ type: 'failed', id, message: messageOf(error) });
      }
    });
  });
}

async function build(recipe: ModelRecipe): Promise<Classifier> {
  await selectBackend({ prefer: recipe.backend });
  const module = (await import(/* @vite-ignore */ recipe.module)) as Record<string, unknown>;
  const loader = module[recipe.export];
  if (typeof loader !== 'function') throw new Error(`${recipe.module} exports no function "${recipe.export}"`);
  return (await loader(...recipe.args)) as Classifier;
}

async function predictRows(model: Classifier, data: Float32Array, shape: [number, number, number, number]): Promise<Float32Array> {
  const batch = tf.tensor4d(data, shape);
  try {
    const logits = await model.predict(batch);
    try {
      // A copy: the backend's own array may back other tensors, and this one is transferred.
      return Float32Array.from(await logits.data());
    } finally {
      logits.dispose();
    }
  } finally {
    batch.dispose();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
