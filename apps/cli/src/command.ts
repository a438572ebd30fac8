import { parseArgs } from 'node:util';
import type { Context } from './context.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in --help. */
  description: string;
  /** Names the argument in --help. */
  value?: string;
  /** Shown in --help; the command applies it when the option is not given. */
  default?: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments: at least this many. */
  minPositionals?: number;
  run(args: ParsedArgs, context: Context): Promise<void>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Wrong usage of the command line: exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
  quiet: { type: 'boolean', short: 'q', description: 'print no progress' },
};

export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs {
  const options = { ...command.options, ...COMMON_OPTIONS };
  let parsed;
  try {
    parsed = parseArgs({
      args: negativeValuesInline(argv, options),
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          // Defaults are applied by the readers below, so "not given" stays visible to commands.
          { type: o.type, ...(o.short ? { short: o.short } : {}) },
        ]),
      ),
    });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ''), command.name);
  }
  if (!parsed.values.help && parsed.positionals.length < (command.minPositionals ?? 0)) {
    throw new UsageError(`missing arguments: ${command.usage}`, command.name);
  }
  return { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals };
}

/** A token that is a negative number (`-5`, `-0.5`, `-1e3`), not an option. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * `--n -5` → `--n=-5`: node's parser takes a value that starts with a dash for an option and
 * refuses it as ambiguous; a negative number after a string option is that option's value, so it
 * reaches the option's own rule (which names what is accepted). Nothing after `--` is touched.
 */
function negativeValuesInline(argv: string[], options: Record<string, OptionSpec>): string[] {
  const byShort = new Map(Object.entries(options).flatMap(([name, o]) => (o.short ? [[o.short, name] as const] : [])));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const name = token.startsWith('--') ? token.slice(2) : /^-\w$/.test(token) ? byShort.get(token.slice(1)) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(token);
  }
  return out;
}

export function commandHelp(command: Command): string {
  const options = { ...command.options, ...COMMON_OPTIONS };
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    const fallback = o.default !== undefined && o.type === 'string' ? ` (default: ${o.default})` : '';
    return `  ${flag.padEnd(30)} ${o.description}${fallback}`;
  });
  return `${command.summary}\n\nUsage: ${command.usage}\n\nOptions:\n${rows.join('\n')}\n`;
}

/**
 * How numbers are written on the command line: decimal, optionally with an exponent (`4000`,
 * `0.5`, `1e3`, `2.5e3`). Hex, binary, `Infinity` and the like are not numbers here; a whole-number
 * option takes any of these forms whose value is whole (`1e3` is 1000, `1.5` is refused).
 */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The number `raw` writes (see DECIMAL), or undefined when it is not one. */
export function parseDecimal(raw: string): number | undefined {
  const text = raw.trim();
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** A string option as a whole number within bounds, or a usage error naming the option and the bounds. */
export function intOption(args: ParsedArgs, name: string, fallback: number, min = 1, max?: number): number {
  const raw = args.values[name];
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' ? parseDecimal(raw) : undefined;
  if (value === undefined || !Number.isInteger(value) || value < min || (max !== undefined && value > max)) {
    const bounds = max === undefined ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be a whole number ${bounds}, got "${String(raw)}"`);
  }
  return value;
}

/**
 * The inputs of a command that takes images or `--tensor FILE.npy`: the tensor file, or undefined
 * for the images. Neither, or both, is a usage error (both would drop one of them).
 */
export function tensorOrImages(args: ParsedArgs, command: string): string | undefined {
  const tensor = stringOption(args, 'tensor') || undefined;
  if (tensor === undefined && args.positionals.length === 0) throw new UsageError('give at least one image, or --tensor FILE.npy', command);
  if (tensor !== undefined && args.positionals.length > 0) {
    const images = args.positionals.length === 1 ? `the image ${args.positionals[0]}` : `${args.positionals.length} images (${args.positionals[0]}, …)`;
    throw new UsageError(`give images or --tensor FILE.npy, not both: --tensor ${tensor} was given with ${images}`, command);
  }
  return tensor;
}

export function choiceOption<T extends string>(args: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const raw = (args.values[name] as string | undefined) ?? fallback;
  if (!choices.includes(raw as T)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

export function listOption<T extends string>(args: ParsedArgs, name: string, choices: readonly T[], fallback: readonly T[]): T[] {
  const raw = args.values[name] as string | undefined;
  if (raw === undefined) return [...fallback];
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = items.filter((i) => !choices.includes(i as T));
  if (unknown.length || items.length === 0) {
    throw new UsageError(`--${name} takes a comma-separated list of ${choices.join(', ')}; got "${raw}"`);
  }
  return items as T[];
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  return args.values[name] as string | undefined;
}
