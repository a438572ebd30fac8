import type { Classifier } from '@xai/core';

/**
 * Lets queued messages (a Cancel) in before each batch. On wasm and cpu every await in a run
 * resolves as a microtask, so without a real task boundary the worker would read its messages
 * only once the run had finished.
 */
export function yieldingClassifier(model: Classifier): Classifier {
  const wrapper: Classifier = Object.create(model) as Classifier;
  return Object.assign(wrapper, {
    predict: async (batch: Parameters<Classifier['predict']>[0]) => {
      await nextTask();
      return model.predict(batch);
    },
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
