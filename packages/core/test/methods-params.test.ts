import { describe, expect, it } from 'vitest';
import { XaiError } from '../src/errors.js';
import { describeAccepted, flagName, parseParams, type ParamSpec } from '../src/methods/params.js';

const SPECS: ParamSpec[] = [
  { name: 'numMasks', type: 'int', default: 4000, min: 1, max: 100000, help: 'masks' },
  { name: 'p1', type: 'number', default: 0.5, min: 0, max: 1, exclusiveMin: true, help: 'keep probability' },
  { name: 'sigma', type: 'number', default: 2, min: 0, help: 'blur' },
  { name: 'gain', type: 'number', default: 1, max: 10, help: 'gain' },
  { name: 'offset', type: 'number', default: 0, help: 'offset' },
  { name: 'fill', type: 'choice', default: 'zero', choices: ['zero', 'mean', 'blur'], help: 'fill' },
  { name: 'signed', type: 'boolean', default: false, help: 'keep signs' },
];

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(XaiError);
    return (e as Error).message;
  }
  throw new Error('expected an XaiError');
}

describe('flagName', () => {
  it('turns camelCase into kebab-case', () => {
    expect(flagName('batchSize')).toBe('batch-size');
    expect(flagName('numMasks')).toBe('num-masks');
    expect(flagName('p1')).toBe('p1');
  });
});

describe('describeAccepted', () => {
  it('says what each kind of parameter accepts', () => {
    const by = (name: string) => describeAccepted(SPECS.find((s) => s.name === name)!);
    expect(by('numMasks')).toBe('a whole number from 1 to 100000');
    expect(by('p1')).toBe('a number in (0, 1]');
    expect(by('sigma')).toBe('a number ≥ 0');
    expect(by('gain')).toBe('a number ≤ 10');
    expect(by('offset')).toBe('a number');
    expect(by('fill')).toBe('one of zero, mean, blur');
    expect(by('signed')).toBe('true or false');
    expect(describeAccepted({ name: 'x', type: 'int', default: 1, min: 0, exclusiveMin: true, help: '' })).toBe('a whole number > 0');
  });
});

describe('parseParams', () => {
  it('fills in defaults for missing, undefined and empty values', () => {
    const defaults = { numMasks: 4000, p1: 0.5, sigma: 2, gain: 1, offset: 0, fill: 'zero', signed: false };
    expect(parseParams(SPECS)).toEqual(defaults);
    expect(parseParams(SPECS, {})).toEqual(defaults);
    expect(parseParams(SPECS, { numMasks: undefined, fill: '' })).toEqual(defaults);
    expect(parseParams([], {})).toEqual({});
  });

  it('takes typed values and text alike', () => {
    const typed = parseParams(SPECS, { numMasks: 100, p1: 0.25, fill: 'blur', signed: true, offset: -3 });
    const text = parseParams(SPECS, { numMasks: '100', p1: '0.25', fill: 'blur', signed: 'true', offset: ' -3 ' });
    expect(text).toEqual(typed);
    expect(typed).toMatchObject({ numMasks: 100, p1: 0.25, fill: 'blur', signed: true, offset: -3 });
    expect(parseParams(SPECS, { signed: 'false' }).signed).toBe(false);
    expect(parseParams(SPECS, { sigma: '1e-3' }).sigma).toBe(0.001);
  });

  it('keeps to the bounds, min excluded only when exclusiveMin', () => {
    expect(parseParams(SPECS, { numMasks: 1 }).numMasks).toBe(1);
    expect(parseParams(SPECS, { numMasks: 100000 }).numMasks).toBe(100000);
    expect(parseParams(SPECS, { p1: 1 }).p1).toBe(1);
    expect(parseParams(SPECS, { sigma: 0 }).sigma).toBe(0);
    expect(parseParams(SPECS, { p1: 1e-9 }).p1).toBe(1e-9);
    expect(messageOf(() => parseParams(SPECS, { numMasks: 0 }, 'rise'))).toBe('rise: numMasks must be a whole number from 1 to 100000, got 0');
    expect(messageOf(() => parseParams(SPECS, { numMasks: 100001 }, 'rise'))).toBe('rise: numMasks must be a whole number from 1 to 100000, got 100001');
    expect(messageOf(() => parseParams(SPECS, { p1: 0 }, 'rise'))).toBe('rise: p1 must be a number in (0, 1], got 0');
    expect(messageOf(() => parseParams(SPECS, { p1: '0' }, 'rise'))).toBe('rise: p1 must be a number in (0, 1], got "0"');
    expect(messageOf(() => parseParams(SPECS, { p1: 1.5 }, 'rise'))).toBe('rise: p1 must be a number in (0, 1], got 1.5');
    expect(messageOf(() => parseParams(SPECS, { sigma: -1 }))).toBe('method: sigma must be a number ≥ 0, got -1');
    expect(messageOf(() => parseParams(SPECS, { gain: 11 }))).toBe('method: gain must be a number ≤ 10, got 11');
  });

  it('refuses values of the wrong kind, saying what is accepted', () => {
    expect(messageOf(() => parseParams(SPECS, { numMasks: 2.5 }, 'rise'))).toBe('rise: numMasks must be a whole number from 1 to 100000, got 2.5');
    expect(messageOf(() => parseParams(SPECS, { numMasks: '2.5' }, 'rise'))).toMatch(/numMasks must be a whole number.*got "2.5"/);
    expect(messageOf(() => parseParams(SPECS, { numMasks: 'many' }, 'rise'))).toMatch(/numMasks must be a whole number.*got "many"/);
    expect(messageOf(() => parseParams(SPECS, { numMasks: '  ' }, 'rise'))).toMatch(/got " {2}"/);
    expect(messageOf(() => parseParams(SPECS, { offset: Number.NaN }))).toBe('method: offset must be a number, got NaN');
    expect(messageOf(() => parseParams(SPECS, { offset: Infinity }))).toBe('method: offset must be a number, got Infinity');
    expect(messageOf(() => parseParams(SPECS, { offset: 'Infinity' }))).toBe('method: offset must be a number, got "Infinity"');
    expect(messageOf(() => parseParams(SPECS, { offset: true }))).toBe('method: offset must be a number, got true');
    expect(messageOf(() => parseParams(SPECS, { fill: 'noise' }, 'rise'))).toBe('rise: fill must be one of zero, mean, blur, got "noise"');
    expect(messageOf(() => parseParams(SPECS, { fill: 1 }, 'rise'))).toBe('rise: fill must be one of zero, mean, blur, got 1');
    expect(messageOf(() => parseParams(SPECS, { signed: 'yes' }, 'rise'))).toBe('rise: signed must be true or false, got "yes"');
    expect(messageOf(() => parseParams(SPECS, { signed: 1 }, 'rise'))).toBe('rise: signed must be true or false, got 1');
  });

  it('refuses unknown names, listing the accepted ones', () => {
    expect(messageOf(() => parseParams(SPECS, { masks: 10 }, 'rise'))).toBe(
      'rise: unknown parameter masks; accepted: numMasks, p1, sigma, gain, offset, fill, signed',
    );
    expect(messageOf(() => parseParams(SPECS, { masks: 10, size: 3, p1: 0.5 }, 'rise'))).toBe(
      'rise: unknown parameters masks, size; accepted: numMasks, p1, sigma, gain, offset, fill, signed',
    );
    expect(messageOf(() => parseParams([], { layer: 'x' }, 'grad-cam'))).toBe('grad-cam: unknown parameter layer; accepted: none');
    // An unknown name given as undefined is as good as not given.
    expect(parseParams(SPECS, { masks: undefined }).numMasks).toBe(4000);
  });
});
