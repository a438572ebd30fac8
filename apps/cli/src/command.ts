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
      args: argv,
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

export function commandHelp(command: Command): string {
  const options = { ...command.options, ...COMMON_OPTIONS };
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    const fallback = o.default !== undefined && o.type === 'string' ? ` (default: ${o.default})` : '';
    return `  ${flag.padEnd(30)} ${o.description}${fallback}`;
  });
  return `${command.summary}\n\nUsage: ${command.usage}\n\nOptions:\n${rows.join('\n')}\n`;
}

/** A string option as a whole number within bounds, or a usage error naming the option. */
export function intOption(args: ParsedArgs, name: string, fallback: number, min = 1): number {
  const raw = args.values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new UsageError(`--${name} must be a whole number ≥ ${min}, got "${raw}"`);
  }
  return value;
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
