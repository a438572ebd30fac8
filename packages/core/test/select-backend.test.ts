import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { selectBackend } from '../src/backend/select.js';

describe('selectBackend', () => {
  it('picks wasm in Node when native TensorFlow is not installed, and says why', async () => {
    const choice = await selectBackend();
    expect(choice.id).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.skipped.map((s) => s.id)).toEqual(['tfjs-node-gpu', 'tfjs-node']);
    expect(choice.skipped[0].reason).toBe('not installed');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
    // wasm has its own Conv2DBackpropInput and MaxPoolGrad; ours replace them (and it says so).
    expect(choice.addedKernels).toEqual([
      'Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'UnsortedSegmentSum', 'Conv2DBackpropInput', 'MaxPoolGrad',
    ]);
  });

  it('uses the backend the caller forces', async () => {
    const choice = await selectBackend({ prefer: 'cpu' });
    expect(choice).toMatchObject({ id: 'cpu', backend: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
  });

  it('names the accepted backends when asked for an unknown one', async () => {
    await expect(selectBackend({ prefer: 'cuda' })).rejects.toThrow(
      /Unknown backend "cuda"; accepted: tfjs-node-gpu, tensorflow, tfjs-node, wasm, cpu/,
    );
  });

  it('says why a forced backend is unavailable', async () => {
    await expect(selectBackend({ prefer: 'tfjs-node' })).rejects.toThrow(/Backend "tfjs-node" is not available \(tfjs-node: not installed\)/);
  });

  it('in a browser-like setting takes the first registered candidate', async () => {
    const choice = await selectBackend({
      candidates: [
        { id: 'webgpu', backend: 'webgpu' },
        { id: 'cpu', backend: 'cpu' },
      ],
    });
    expect(choice.id).toBe('cpu');
    expect(choice.skipped).toEqual([{ id: 'webgpu', reason: 'not registered (import its package first)' }]);
  });
});
