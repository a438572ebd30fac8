import type { Classifier } from '@xai/core';

/**
 * Lets queued messages (a Cancel) in before each batch of forward passes (`predict`, and
 * `predictValues`, which onnxruntime-web models take host batches through) or input gradients. On
 * wasm and cpu, and on onnxruntime-web's wasm, every await in a run can resolve as a microtask, so
 * without a real task boundary the worker would read its messages only once the run had finished.
 *
 * Everything else is the model's own, called on the model itself: what a method learns while it
 * runs (an ONNX model's gradient graph falling back to the tfjs graph, and why) stays with the
 * model, where the model details read it.
 */
export function yieldingClassifier(model: Classifier): Classifier {
  const yielding: Partial<Classifier> = {
    predict: async (batch) => {
      await nextTask();
      return model.predict(batch);
    },
  };
  // A getter on ONNX models (undefined without an onnxruntime session, and then it must stay so),
  // a method on others.
  const predictValues = model.predictValues?.bind(model);
  yielding.predictValues = predictValues
    ? async (values, rows) => {
        await nextTask();
        return predictValues(values, rows);
      }
    : undefined;
  if (model.inputGradients) {
    const inputGradients = model.inputGradients.bind(model);
    yielding.inputGradients = async (batch, classes, options) => {
      await nextTask();
      return inputGradients(batch, classes, options);
    };
  }
  // An empty object as the proxy's target, so that no invariant of the model's own (read-only,
  // non-configurable) properties binds what the proxy returns: every read goes to the model.
  return new Proxy({} as Classifier, {
    get(_, key) {
      if (key in yielding) return yielding[key as keyof Classifier];
      const value = Reflect.get(model, key, model) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(model) : value;
    },
    has: (_, key) => key in model,
  });
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(undefined);
  });
}
