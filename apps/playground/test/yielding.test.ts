import type { Classifier } from '@xai/core';
import { describe, expect, test } from 'vitest';
import { yieldingClassifier } from '../src/worker/yielding.js';

/** A model that records the order of calls and learns something while it runs, as an ONNX model's gradient graph falls back. */
class Recorder {
  readonly input = { height: 1, width: 1, channels: 1, layout: 'NHWC' as const };
  readonly numClasses = 2;
  readonly preprocessing = { scale: 1, offset: 0, mean: [0], std: [1] };
  readonly engine = 'recorder';
  learned?: string;
  constructor(readonly calls: string[]) {}
  get gradientEngine(): string {
    return this.learned ?? 'gradient graph';
  }
  async predict(): Promise<never> {
    this.calls.push('predict');
    return 'logits' as never;
  }
  get predictValues(): (() => Promise<never>) | undefined {
    return this.host
      ? async () => {
          this.calls.push('predictValues');
          return 'logits' as never;
        }
      : undefined;
  }
  host = true;
  /** A method, as the black-box ONNX model's: it reads `this`. */
  async predictHost(): Promise<never> {
    this.calls.push(`predictHost of ${this.engine}`);
    return 'logits' as never;
  }
  async inputGradients(): Promise<never> {
    this.calls.push('inputGradients');
    this.learned = 'tfjs graph (no recipe)';
    return 'gradients' as never;
  }
  dispose(): void {}
}

/** A message posted now, which a run that never yields to the event loop would only see after it finished. */
function pendingMessage(calls: string[]): MessageChannel {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    calls.push('message');
    channel.port1.close();
  };
  channel.port2.postMessage(undefined);
  return channel;
}

describe('yieldingClassifier', () => {
  test.each(['predict', 'predictValues', 'inputGradients'] as const)('%s lets a queued message in first', async (method) => {
    const calls: string[] = [];
    const model = yieldingClassifier(new Recorder(calls) as unknown as Classifier);
    pendingMessage(calls);
    await (model[method] as () => Promise<unknown>)();
    expect(calls).toEqual(['message', method]);
  });

  test('predictValues as a method is called on the model', async () => {
    const calls: string[] = [];
    const recorder = new Recorder(calls);
    Object.defineProperty(recorder, 'predictValues', { value: Recorder.prototype.predictHost });
    await yieldingClassifier(recorder as unknown as Classifier).predictValues!(new Float32Array(1), 1);
    expect(calls).toEqual(['predictHost of recorder']);
  });

  test('a model without host batches (predictValues undefined) keeps none', () => {
    const recorder = new Recorder([]);
    recorder.host = false;
    expect(yieldingClassifier(recorder as unknown as Classifier).predictValues).toBeUndefined();
  });

  test('what the model learns during a run stays with the model', async () => {
    const recorder = new Recorder([]);
    const model = yieldingClassifier(recorder as unknown as Classifier);
    expect((model as unknown as Recorder).gradientEngine).toBe('gradient graph');
    await model.inputGradients!(undefined as never, 0);
    expect(recorder.gradientEngine).toBe('tfjs graph (no recipe)');
    expect(recorder.learned).toBe('tfjs graph (no recipe)');
    expect(model.numClasses).toBe(2);
  });
});
