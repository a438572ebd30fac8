import { describe, expect, test } from 'vitest';
import { DEFAULT_FIELDS, parseParams } from '../src/logic/params.js';

describe('parseParams', () => {
  test('reads the defaults', () => {
    const params = parseParams(DEFAULT_FIELDS);
    expect(params.rise).toEqual({ n: 1000, s: 8, p1: 0.5, seed: 0, scores: 'prob', batchSize: 32 });
    expect(params.absCam).toEqual({ layer: '', batchSize: 32 });
  });

  test.each([
    ['n', '0', /N \(the number of masks\)/],
    ['n', '2.5', /whole number/],
    ['s', '', /grid size/],
    ['p1', '0', /p1/],
    ['p1', '1.5', /p1/],
    ['seed', '-1', /seed/i],
    ['batchSize', 'many', /batch size/],
    ['scores', 'probs', /Scores/],
  ] as const)('refuses %s = %j with a message naming it', (field, value, message) => {
    expect(() => parseParams({ ...DEFAULT_FIELDS, [field]: value })).toThrow(message);
  });

  test('trims the layer name', () => {
    expect(parseParams({ ...DEFAULT_FIELDS, layer: ' stage2 ' }).absCam.layer).toBe('stage2');
  });
});
