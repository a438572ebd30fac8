import * as tf from '@tensorflow/tfjs-core';
import { poolClassifier, unpooled, type Classifier, type PooledClassifier } from '@xai/core';

/**
 * How the pool reports that its workers are unusable (they could not start or load the model, or
 * one died mid-run): the passes then go on in this worker. A model's own error ("a worker failed
 * to predict: …") is not among them: it would fail in-process too, so it is shown as it is.
 */
const POOL_FAILURE = /^a worker (could not load the model|stopped while loading the model|could not be sent the model's recipe|stopped while predicting)/;

/**
 * `pooled`, except that once its pool fails, `predict` runs in-process (in the same chunks, so the
 * results are the same bytes) for this call and every later one, and `onFallback` is told why.
 */
export function inProcessOnPoolFailure<T extends Classifier>(pooled: PooledClassifier<T>, onFallback: (reason: string) => void): PooledClassifier<T> {
  const inProcess = poolClassifier(unpooled(pooled), { workers: 1 });
  let failed = false;
  /** `onPool` while the pool works; once it fails (this call included), `here`. */
  const guard = async <R>(onPool: () => Promise<R>, here: () => Promise<R>): Promise<R> => {
    if (!failed) {
      try {
        return await onPool();
      } catch (error) {
        if (!(error instanceof Error) || !POOL_FAILURE.test(error.message)) throw error;
        failed = true;
        onFallback(error.message);
      }
    }
    return here();
  };
  const predict: Classifier['predict'] = (batch) => guard(() => pooled.predict(batch), () => inProcess.predict(batch));
  // The pool sends host values to its workers chunk by chunk, copying them: they are still here to fall back on.
  const predictValues = (values: Float32Array, rows: number) =>
    guard(
      () => pooled.predictValues!(values, rows),
      async () => {
        const { height, width, channels } = pooled.input;
        const batch = tf.tensor4d(values, [rows, height, width, channels]);
        try {
          return await inProcess.predict(batch);
        } finally {
          batch.dispose();
        }
      },
    );
  return new Proxy(pooled, {
    get(object, property) {
      if (property === 'predict') return predict;
      if (property === 'predictValues') return pooled.predictValues && predictValues;
      return Reflect.get(object, property, object) as unknown;
    },
  });
}
