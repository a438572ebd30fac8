import { DEFAULT_BATCH_SIZE, XaiError, describeAccepted, flagName, parseParams, type ParamSpec } from '@xai/core';
import type { MethodInfo } from '../protocol.js';

/**
 * One input of the parameter form. A parameter that several methods take with the same spec
 * (type, default, range, choices) is one field; the same name with another spec gets its own.
 */
export interface ParamField {
  /** The input's element id: `param-<name>` (kebab-case), suffixed by a method id if the name is taken. */
  id: string;
  spec: ParamSpec;
  /** Ids of the methods that take it, in list order. */
  methods: string[];
}

function sameSpec(a: ParamSpec, b: ParamSpec): boolean {
  const { help: _a, ...restA } = a;
  const { help: _b, ...restB } = b;
  return JSON.stringify(restA) === JSON.stringify(restB);
}

/** The form's fields for these methods: every parameter once, in first-seen order. */
export function paramFields(methods: readonly MethodInfo[]): ParamField[] {
  const fields: ParamField[] = [];
  for (const method of methods) {
    for (const spec of method.params) {
      const shared = fields.find((f) => f.spec.name === spec.name && sameSpec(f.spec, spec));
      if (shared) {
        shared.methods.push(method.id);
        continue;
      }
      const base = `param-${flagName(spec.name)}`;
      const id = fields.some((f) => f.id === base) ? `${base}-${method.id}` : base;
      fields.push({ id, spec, methods: [method.id] });
    }
  }
  return fields;
}

/** The fields the method shows, in the form's order. */
export function fieldsFor(fields: readonly ParamField[], methodId: string): ParamField[] {
  return fields.filter((f) => f.methods.includes(methodId));
}

/** A field's text before the user changes it: the default. */
export function initialText(spec: ParamSpec): string {
  return String(spec.default);
}

/** The field's tooltip: the help, what it accepts, and the default (an empty field takes it). */
export function fieldTitle(spec: ParamSpec): string {
  return `${spec.help}: ${describeAccepted(spec)}; default ${String(spec.default)}`;
}

/**
 * The request's parameters for `method` from the form's text (`values` by field id): only the
 * fields the method takes, trimmed; an empty field means the default. Checked here with the
 * method's specs, so a bad value is reported before anything is sent, in the contract's words.
 */
export function formParams(method: MethodInfo, fields: readonly ParamField[], values: Readonly<Record<string, string>>): Record<string, string> {
  const params: Record<string, string> = {};
  for (const field of fieldsFor(fields, method.id)) {
    const text = values[field.id];
    if (text !== undefined) params[field.spec.name] = text.trim();
  }
  parseParams(method.params, params, method.id);
  return params;
}

/** The batch size field: empty means the default; anything else must be a whole number ≥ 1. */
export function batchSizeFrom(text: string): number {
  const value = text.trim();
  if (value === '') return DEFAULT_BATCH_SIZE;
  const size = Number(value);
  if (!Number.isInteger(size) || size < 1) throw new XaiError(`The batch size must be a whole number ≥ 1, got "${text}"`);
  return size;
}
