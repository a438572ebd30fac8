import { describe, expect, test } from 'vitest';
import { MAX_CLASS_MAPS, explainedClasses } from '../src/logic/class-choice.js';
import { checkModelFits } from '../src/logic/model-fit.js';

describe('explainedClasses', () => {
  test('the asked-for class first, then the rest by probability', () => {
    expect(explainedClasses(2, [3, 2, 0, 1], true)).toEqual([2, 3, 0, 1]);
    expect(explainedClasses(2, [3, 2, 0, 1], false)).toEqual([2]);
  });

  test('caps the number of maps for models with many classes', () => {
    const ranked = Array.from({ length: 1000 }, (_, i) => i);
    const classes = explainedClasses(999, ranked, true);
    expect(classes).toHaveLength(MAX_CLASS_MAPS);
    expect(classes.slice(0, 3)).toEqual([999, 0, 1]);
  });
});

describe('checkModelFits', () => {
  const input = { height: 96, width: 96, channels: 3, layout: 'NHWC' as const };
  test('accepts an RGB or grey image classifier', () => {
    expect(() => checkModelFits({ input, numClasses: 4 })).not.toThrow();
    expect(() => checkModelFits({ input: { ...input, channels: 1 }, numClasses: 10 })).not.toThrow();
  });

  test.each([
    [{ ...input, channels: 5 }, 4, /5 channels/],
    [{ ...input, height: 4 }, 4, /4×96/],
    [input, 1, /at least 2 classes/],
  ])('refuses %# with the reason', (shape, numClasses, message) => {
    expect(() => checkModelFits({ input: shape, numClasses })).toThrow(message);
  });
});
