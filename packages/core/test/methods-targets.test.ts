import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Classifier } from '../src/classifier.js';
import { XaiError } from '../src/errors.js';
import { classIndex, namedTargets, parseTargets, resolveTargets, topClasses, type Targets } from '../src/methods/targets.js';
import { useBackend } from './helpers.js';

/** A black-box model whose logits are fixed, counting its forward passes. */
function fixedModel(logits: number[], classNames?: string[]): Classifier & { calls: number } {
  return {
    input: { height: 2, width: 2, channels: 3, layout: 'NHWC' },
    numClasses: logits.length,
    classNames,
    preprocessing: { scale: 1, offset: 0, mean: [0, 0, 0], std: [1, 1, 1] },
    engine: 'test',
    calls: 0,
    async predict(batch: tf.Tensor4D) {
      this.calls++;
      return tf.tidy(() => tf.tile(tf.tensor2d(logits, [1, logits.length]), [batch.shape[0], 1]) as tf.Tensor2D);
    },
    dispose() {},
  };
}

const NAMES = ['cat', 'dog', 'tabby', 'car'];

describe('parseTargets', () => {
  it('reads top, topK, all, indices, names and lists', () => {
    expect(parseTargets('')).toBe('top');
    expect(parseTargets('  top ')).toBe('top');
    expect(parseTargets('top3')).toEqual({ top: 3 });
    expect(parseTargets('all')).toBe('all');
    expect(parseTargets('281')).toBe(281);
    expect(parseTargets('tabby')).toBe('tabby');
    expect(parseTargets('281, tabby ,3')).toEqual([281, 'tabby', 3]);
    expect(parseTargets('1,')).toBe(1);
    // Not a number, so a name (checked against the model later).
    expect(parseTargets('-1')).toBe('-1');
    expect(parseTargets('top 3')).toBe('top 3');
  });
});

describe('namedTargets and classIndex (no forward pass)', () => {
  const model = fixedModel([0, 1, 2, 3], NAMES);
  const plain = fixedModel([0, 1, 2]);

  it('leaves top and top-k to a forward pass, checking k', () => {
    expect(namedTargets(model, 'top')).toBeUndefined();
    expect(namedTargets(model, { top: 2 })).toBeUndefined();
    expect(namedTargets(model, { top: 4 })).toBeUndefined();
    for (const top of [0, 5, 1.5]) {
      expect(() => namedTargets(model, { top })).toThrow(`targets: top must be a whole number from 1 to 4 (the model's classes), got ${top}`);
    }
  });

  it('resolves indices, names, lists (without repeats, in order) and all', () => {
    expect(namedTargets(model, 2)).toEqual([{ index: 2, name: 'tabby', chosenBy: 'caller' }]);
    expect(namedTargets(model, 'dog')).toEqual([{ index: 1, name: 'dog', chosenBy: 'caller' }]);
    expect(namedTargets(model, [3, 'cat', 'car', 0])).toEqual([
      { index: 3, name: 'car', chosenBy: 'caller' },
      { index: 0, name: 'cat', chosenBy: 'caller' },
    ]);
    expect(namedTargets(model, 'all')?.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(namedTargets(plain, 'all')).toEqual([0, 1, 2].map((index) => ({ index, name: undefined, chosenBy: 'caller' })));
    expect(model.calls).toBe(0);
  });

  it('refuses unknown classes, saying what is accepted', () => {
    expect(() => namedTargets(model, 'tiger')).toThrow('Unknown class name "tiger"; class names accepted: one of: "cat", "dog", "tabby", "car"');
    expect(() => namedTargets(plain, 'tiger')).toThrow('Unknown class name "tiger"; class names accepted: none: the model has no class names, so give an index');
    expect(() => namedTargets(model, 4)).toThrow('Class index 4 is out of range; the model has 4 classes (0 … 3)');
    expect(() => namedTargets(model, -1)).toThrow(/Class index -1 is out of range/);
    expect(() => namedTargets(model, 1.5)).toThrow(/Class index 1.5 is out of range/);
    expect(() => namedTargets(model, [0, 'tiger'])).toThrow(/Unknown class name "tiger"/);
    expect(() => namedTargets(model, [])).toThrow('targets: the list of classes is empty; give at least one class');
    expect(() => namedTargets(model, { first: 2 } as unknown as Targets)).toThrow(
      `targets: unsupported value {"first":2}; accepted: 'top', { top: k }, a class index or name, a list of them, 'all'`,
    );
    expect(() => namedTargets(model, null as unknown as Targets)).toThrow(XaiError);
    expect(classIndex(model, 'tabby')).toBe(2);
    expect(classIndex(plain, 0)).toBe(0);
  });
});

describe('resolveTargets and topClasses', () => {
  beforeAll(() => useBackend('cpu'));

  it('takes the top classes from one forward pass, best first, ties to the lower index', async () => {
    const model = fixedModel([0.5, 2, -1, 2, 1], ['a', 'b', 'c', 'd', 'e']);
    const image = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    expect(await topClasses(model, image)).toEqual([1]);
    expect(await topClasses(model, image, 3)).toEqual([1, 3, 4]);
    expect(await resolveTargets(model, image)).toEqual([{ index: 1, name: 'b', chosenBy: 'top' }]);
    expect(await resolveTargets(model, image, 'top')).toEqual([{ index: 1, name: 'b', chosenBy: 'top' }]);
    expect(await resolveTargets(model, image, { top: 2 })).toEqual([
      { index: 1, name: 'b', chosenBy: 'top' },
      { index: 3, name: 'd', chosenBy: 'top' },
    ]);
    expect(model.calls).toBe(5);
    // Named targets need no forward pass.
    expect(await resolveTargets(model, image, ['e', 0])).toEqual([
      { index: 4, name: 'e', chosenBy: 'caller' },
      { index: 0, name: 'a', chosenBy: 'caller' },
    ]);
    expect((await resolveTargets(model, image, 'all')).length).toBe(5);
    expect(model.calls).toBe(5);
    await expect(resolveTargets(model, image, { top: 6 })).rejects.toThrow(/top must be a whole number from 1 to 5/);
    await expect(resolveTargets(model, image, 'z')).rejects.toThrow(/Unknown class name "z"/);
    expect(model.calls).toBe(5);
    expect(tf.memory().numTensors).toBe(before);
    image.dispose();
  });
});
