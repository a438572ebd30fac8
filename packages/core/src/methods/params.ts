import { XaiError } from '../errors.js';

/** One parameter of a method, as its paper names it: what forms, flags and help are made from. */
export type ParamSpec =
  | NumberParam
  | ChoiceParam
  | BooleanParam;

interface ParamBase {
  /** The key in the method's params object (camelCase); the CLI flag is its kebab-case. */
  name: string;
  /** One line of help. */
  help: string;
}

export interface NumberParam extends ParamBase {
  type: 'int' | 'number';
  default: number;
  /** Inclusive bounds. */
  min?: number;
  max?: number;
  /** When true, `min` itself is not accepted (e.g. p1 in (0, 1]). */
  exclusiveMin?: boolean;
}

export interface ChoiceParam extends ParamBase {
  type: 'choice';
  default: string;
  choices: readonly string[];
}

export interface BooleanParam extends ParamBase {
  type: 'boolean';
  default: boolean;
}

export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;

/** `batchSize` → `batch-size`. */
export function flagName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** What a parameter accepts, for help and error messages: `a whole number from 1 to 100000`. */
export function describeAccepted(spec: ParamSpec): string {
  if (spec.type === 'choice') return `one of ${spec.choices.join(', ')}`;
  if (spec.type === 'boolean') return 'true or false';
  const kind = spec.type === 'int' ? 'a whole number' : 'a number';
  const low = spec.min === undefined ? undefined : `${spec.exclusiveMin ? '>' : '≥'} ${spec.min}`;
  if (low && spec.max !== undefined) {
    return spec.exclusiveMin ? `${kind} in (${spec.min}, ${spec.max}]` : `${kind} from ${spec.min} to ${spec.max}`;
  }
  if (low) return `${kind} ${low}`;
  if (spec.max !== undefined) return `${kind} ≤ ${spec.max}`;
  return kind;
}

/**
 * Checks and completes a method's parameters. Values may be typed (from code) or text (from a
 * command line or a form); missing ones take their defaults; unknown names are refused.
 * `who` prefixes messages (e.g. the method id).
 */
export function parseParams(specs: readonly ParamSpec[], given: Record<string, unknown> = {}, who = 'method'): Params {
  const known = new Set(specs.map((s) => s.name));
  const unknown = Object.keys(given).filter((k) => given[k] !== undefined && !known.has(k));
  if (unknown.length) {
    const accepted = specs.length ? specs.map((s) => s.name).join(', ') : 'none';
    throw new XaiError(`${who}: unknown parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; accepted: ${accepted}`);
  }
  const out: Params = {};
  for (const spec of specs) out[spec.name] = parseValue(spec, given[spec.name], who);
  return out;
}

function parseValue(spec: ParamSpec, raw: unknown, who: string): ParamValue {
  if (raw === undefined || raw === '') return spec.default;
  const fail = (): never => {
    // String() for numbers: JSON shows NaN and Infinity as null.
    const shown = typeof raw === 'number' ? String(raw) : JSON.stringify(raw);
    throw new XaiError(`${who}: ${spec.name} must be ${describeAccepted(spec)}, got ${shown}`);
  };
  if (spec.type === 'choice') {
    if (typeof raw !== 'string' || !spec.choices.includes(raw)) fail();
    return raw as string;
  }
  if (spec.type === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    return fail();
  }
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(value)) fail();
  if (spec.type === 'int' && !Number.isInteger(value)) fail();
  if (spec.min !== undefined && (spec.exclusiveMin ? value <= spec.min : value < spec.min)) fail();
  if (spec.max !== undefined && value > spec.max) fail();
  return value;
}
