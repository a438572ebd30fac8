import * as tf from '@tensorflow/tfjs-core';
import { poolClassifier, webWorkers, withRecipe, type FromWorker, type SpawnWorker, type ToWorker, type WorkerPort } from '@xai/core';
import { FunctionClassifier, expectNoLeak, expectRejectsWithoutLeak, useBackend } from '@xai/testing';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { inProcessOnPoolFailure } from '../src/worker/pool-fallback.js';

const RECIPE = { module: 'https://app.test/assets/pool-worker.js', export: 'buildTfjsModel', args: [], backend: 'cpu' };

/** Logits that depend on every pixel of each image: the sum and the mean of its channels. */
function model(): FunctionClassifier {
  return new FunctionClassifier({ height: 4, width: 4, channels: 3, numClasses: 3 }, (batch) =>
    tf.tidy(() => tf.stack([tf.sum(batch, [1, 2, 3]), tf.mean(batch, [1, 2, 3]), tf.max(batch, [1, 2, 3])], 1) as tf.Tensor2D),
  );
}

/** Workers whose model loads, then answers every predict with `message`. */
function failingPredictWorkers(message: string): SpawnWorker {
  return () => {
    let toPool: (m: FromWorker) => void = () => undefined;
    const port: WorkerPort = {
      post: (m: ToWorker) => setTimeout(() => toPool(m.type === 'load' ? { type: 'ready' } : { type: 'failed', id: m.id, message })),
      onMessage: (handler) => {
        toPool = handler;
      },
      onExit: () => undefined,
      terminate: async () => undefined,
    };
    return port;
  };
}

const realWorker = globalThis.Worker;
/** Browsers without nested workers, or a script the page may not start: the constructor throws. */
function workersUnavailable(): void {
  globalThis.Worker = class {
    constructor() {
      throw new Error('Worker is not available in this scope');
    }
  } as unknown as typeof Worker;
}
beforeAll(() => useBackend('cpu'));
afterEach(() => {
  globalThis.Worker = realWorker;
});

describe('the pool in the playground', () => {
  test('a Web Worker that cannot be started: the passes go on in-process, the same numbers, and the reason is told', async () => {
    workersUnavailable();
    const batch = tf.randomUniform([20, 4, 4, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const reference = model();
    const expected = await reference.predict(batch);
    const reasons: string[] = [];
    const pooled = poolClassifier(withRecipe(model(), RECIPE), { workers: 2, spawn: webWorkers(RECIPE.module) });
    const guarded = inProcessOnPoolFailure(pooled, (reason) => reasons.push(reason));
    await expectNoLeak(async () => {
      for (let call = 0; call < 2; call++) {
        const logits = await guarded.predict(batch);
        expect(Array.from(await logits.data())).toEqual(Array.from(await expected.data()));
        logits.dispose();
      }
    });
    expect(reasons).toHaveLength(1);
    // Host batches (RISE, the metrics, Score-CAM, Abs-CAM) fall back the same way.
    const values = Float32Array.from(await batch.data());
    const viaValues = await expectNoLeak(async () => {
      const logits = await guarded.predictValues!(values, 20);
      const data = Array.from(await logits.data());
      logits.dispose();
      return data;
    });
    expect(viaValues).toEqual(Array.from(await expected.data()));
    expect(reasons[0]).toMatch(/^a worker stopped while loading the model \(buildTfjsModel from .*pool-worker\.js\): the worker could not be started: Worker is not available in this scope$/);
    expect(guarded.workerPool).toMatchObject({ size: 2, running: 0 });
    guarded.dispose();
    batch.dispose();
    expected.dispose();
  });

  test('host values, when the pool fails on them first: the same fallback', async () => {
    workersUnavailable();
    const batch = tf.randomUniform([20, 4, 4, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const expected = await model().predict(batch);
    const reasons: string[] = [];
    const guarded = inProcessOnPoolFailure(poolClassifier(withRecipe(model(), RECIPE), { workers: 2, spawn: webWorkers(RECIPE.module) }), (r) => reasons.push(r));
    const logits = await guarded.predictValues!(Float32Array.from(await batch.data()), 20);
    expect(Array.from(await logits.data())).toEqual(Array.from(await expected.data()));
    expect(reasons).toHaveLength(1);
    tf.dispose([logits, batch, expected]);
    guarded.dispose();
  });

  test('a model that fails in its worker fails the call as it is: no fallback, which would fail the same way', async () => {
    const reasons: string[] = [];
    const pooled = poolClassifier(withRecipe(model(), RECIPE), { workers: 2, spawn: failingPredictWorkers('conv2d: out of memory') });
    const guarded = inProcessOnPoolFailure(pooled, (reason) => reasons.push(reason));
    const batch = tf.zeros([20, 4, 4, 3]) as tf.Tensor4D;
    const error = await expectRejectsWithoutLeak(() => guarded.predict(batch));
    expect(error.message).toBe('a worker failed to predict: conv2d: out of memory');
    expect(reasons).toEqual([]);
    guarded.dispose();
    batch.dispose();
  });
});
