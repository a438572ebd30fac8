import { describe, expect, test } from 'vitest';
import { MethodRegistry, parseParams, type MethodDescriptor, type ParamSpec } from '@xai/core';
import { RISE_METHODS } from '@xai/rise';
import { findMethod, methodList } from '../src/logic/methods.js';
import { registry } from '../src/worker/methods.js';
import { batchSizeFrom, fieldsFor, formParams, initialText, paramFields, type ParamField } from '../src/logic/params.js';
import type { MethodInfo } from '../src/protocol.js';

/** The playground's own methods, as the worker sends them to the page. */
const methods = methodList(registry);
const fields = paramFields(methods);
const [binary, gaussian] = RISE_METHODS.map((m) => findMethod(methods, m.id));

/** The form as it first appears: every field holding its default's text. */
function defaults(form: readonly ParamField[] = fields): Record<string, string> {
  return Object.fromEntries(form.map((f) => [f.id, initialText(f.spec)]));
}

/** The id of the field a method shows for a parameter. */
function fieldId(method: MethodInfo, name: string): string {
  const field = fieldsFor(fields, method.id).find((f) => f.spec.name === name);
  if (!field) throw new Error(`${method.id} shows no field ${name}`);
  return field.id;
}

describe('the parameter form', () => {
  test('the method list crosses postMessage intact', () => {
    expect(structuredClone(methods)).toEqual(methods);
    expect(methods.map((m) => m.id)).toEqual(registry.ids());
  });

  test('a parameter several methods take is one field; each method shows only its own', () => {
    const names = (m: MethodInfo) => fieldsFor(fields, m.id).map((f) => f.spec.name);
    expect(names(binary)).toEqual(binary.params.map((p) => p.name));
    expect(names(gaussian)).toEqual(gaussian.params.map((p) => p.name));
    const shared = gaussian.params.map((p) => p.name);
    for (const name of shared) expect(fieldId(binary, name)).toBe(fieldId(gaussian, name));
    const all = new Set(methods.flatMap((m) => m.params.map((p) => p.name)));
    expect(fields).toHaveLength(all.size);
    expect(new Set(fields.map((f) => f.id)).size).toBe(fields.length);
  });

  test('the untouched form gives every method its defaults', () => {
    for (const method of methods) {
      const params = formParams(method, fields, defaults());
      expect(Object.keys(params).sort()).toEqual(method.params.map((p) => p.name).sort());
      const expected = Object.fromEntries(method.params.map((p) => [p.name, p.default]));
      expect(parseParams(method.params, params, method.id)).toEqual(expected);
    }
  });

  test('a method is sent only the fields it takes', () => {
    const onlyBinary = binary.params.find((p) => !gaussian.params.some((q) => q.name === p.name))!;
    const values = { ...defaults(), [fieldId(binary, onlyBinary.name)]: 'whatever' };
    expect(formParams(gaussian, fields, values)).not.toHaveProperty(onlyBinary.name);
    expect(() => formParams(binary, fields, values)).toThrow(onlyBinary.name);
  });

  test('edited fields arrive as text that parses to the typed value; an empty field means the default', () => {
    const n = binary.params.find((p) => p.name === 'n')!;
    const values = { ...defaults(), [fieldId(binary, 'n')]: ' 300 ', [fieldId(binary, 'seed')]: '' };
    const params = formParams(binary, fields, values);
    expect(params.n).toBe('300');
    const parsed = parseParams(binary.params, params);
    expect(parsed.n).toBe(300);
    expect(parsed.seed).toBe(binary.params.find((p) => p.name === 'seed')!.default);
    expect(n.type).toBe('int');
  });

  test.each([
    ['n', '0'],
    ['n', '2.5'],
    ['s', '1'],
    ['p1', '0'],
    ['p1', '1.5'],
    ['seed', '-1'],
    ['scores', 'probs'],
    ['n', 'not a number'],
  ])('refuses %s = %j with the contract message, naming the method and the parameter', (name, value) => {
    const values = { ...defaults(), [fieldId(binary, name)]: value };
    expect(() => formParams(binary, fields, values)).toThrow(new RegExp(`^${binary.id}: ${name} must be .*, got "${value}"$`));
  });

  test('one name with different specs gets separate fields, each method its own', () => {
    const spec = (max: number): ParamSpec => ({ name: 'steps', type: 'int', default: 4, min: 1, max, help: 'steps' });
    const a = { id: 'a', params: [spec(10)] } as MethodInfo;
    const b = { id: 'b', params: [spec(20)] } as MethodInfo;
    const c = { id: 'c', params: [{ ...spec(10), help: 'other words, same spec' }] } as MethodInfo;
    const form = paramFields([a, b, c]);
    expect(form.map((f) => [f.id, f.methods])).toEqual([
      ['param-steps', ['a', 'c']],
      ['param-steps-b', ['b']],
    ]);
    expect(() => formParams(b, form, { ...defaults(form), 'param-steps-b': '15' })).not.toThrow();
    expect(() => formParams(a, form, { ...defaults(form), 'param-steps': '15' })).toThrow(/steps must be a whole number from 1 to 10/);
  });

  test('booleans and choices come from a checkbox and a select as their text', () => {
    const method: MethodDescriptor = {
      id: 'toy', label: 'Toy', paper: { title: 't', authors: 'a', year: 2020, url: 'https://example.org' }, box: 'black', layers: 'none',
      params: [
        { name: 'smooth', type: 'boolean', default: false, help: 'smooth the map' },
        { name: 'kernel', type: 'choice', default: 'box', choices: ['box', 'gauss'], help: 'kernel' },
        { name: 'camelCase', type: 'number', default: 0.5, min: 0, max: 1, help: 'a camel-case name' },
      ],
      run: async () => [],
    };
    const [toy] = methodList(new MethodRegistry([method]));
    const form = paramFields([toy]);
    expect(form.map((f) => f.id)).toEqual(['param-smooth', 'param-kernel', 'param-camel-case']);
    const params = formParams(toy, form, { 'param-smooth': 'true', 'param-kernel': 'gauss', 'param-camel-case': '0.25' });
    expect(parseParams(toy.params, params)).toEqual({ smooth: true, kernel: 'gauss', camelCase: 0.25 });
    expect(() => formParams(toy, form, { 'param-smooth': 'yes' })).toThrow(/smooth must be true or false/);
  });
});

describe('batchSizeFrom', () => {
  test('reads a whole number; empty is the default', () => {
    expect(batchSizeFrom(' 8 ')).toBe(8);
    expect(batchSizeFrom('')).toBe(32);
  });

  test.each(['0', '2.5', 'many'])('refuses %j', (text) => {
    expect(() => batchSizeFrom(text)).toThrow(/batch size must be a whole number/);
  });
});
