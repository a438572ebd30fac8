import * as tf from '@tensorflow/tfjs-core';

type Attrs = Record<string, unknown>;
type Compute = (inputs: Record<string, tf.Tensor>, attrs: Attrs) => tf.Tensor;

/**
 * A kernel for `backendName` built from existing ops. Nested ops run inside the kernel, so the
 * gradient tape does not record them; intermediates are disposed, the output is handed to the engine.
 */
export function kernelFromOps(kernelName: string, backendName: string, compute: Compute): tf.KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs }) => {
      const engine = tf.engine();
      const tensors: Record<string, tf.Tensor> = {};
      for (const [name, info] of Object.entries(inputs)) {
        if (!info) continue;
        // A wrapper shares the input's data: take a reference so disposing the wrapper keeps it alive.
        tensors[name] = engine.makeTensorFromTensorInfo(info);
        (engine.backend as unknown as { incRef(dataId: tf.DataId): void }).incRef(info.dataId);
      }
      try {
        return tf.tidy(() => compute(tensors, attrs as Attrs));
      } finally {
        Object.values(tensors).forEach((t) => t.dispose());
      }
    },
  };
}
