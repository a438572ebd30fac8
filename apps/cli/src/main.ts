import { XaiError } from '@xai/core';
import { type Command, UsageError, commandHelp, parseCommandArgs } from './command.js';
import type { Context } from './context.js';
import { compare } from './commands/compare.js';
import { evaluate } from './commands/evaluate.js';
import { explain } from './commands/explain.js';
import { gradients } from './commands/gradients.js';
import { layers } from './commands/layers.js';
import { masks } from './commands/masks.js';
import { merge } from './commands/merge.js';
import { predict } from './commands/predict.js';
import { sanity } from './commands/sanity.js';

export const COMMANDS: Command[] = [explain, evaluate, compare, merge, sanity, predict, masks, layers, gradients];

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function overview(): string {
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`).join('\n');
  return `xai — explain image classifiers\n\nUsage: xai <command> [options]\n\nCommands:\n${rows}\n\nRun "xai <command> --help" for a command's options.\n`;
}

/** Runs the CLI; returns the exit code (0 success, 1 a failed input, 2 bad usage). */
export async function main(argv: string[], context: Context): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    context.stdout.write(overview());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    const args = parseCommandArgs(command, rest);
    if (args.values.help) {
      context.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    await command.run(args, context);
    return EXIT.ok;
  } catch (error) {
    return reportError(error, context, command);
  }
}

function reportError(error: unknown, context: Context, command: Command | undefined): number {
  const err = error as Error;
  if (err instanceof UsageError) {
    const hint = err.command ?? command?.name;
    context.stderr.write(`xai: ${err.message}\n${hint ? `Run "xai ${hint} --help" for usage.\n` : ''}`);
    return EXIT.usage;
  }
  if (err?.name === 'AbortError') {
    context.stderr.write('xai: cancelled\n');
    return EXIT.failed;
  }
  context.stderr.write(`xai: ${err?.message ?? String(error)}\n`);
  if (!(err instanceof XaiError) && process.env.XAI_DEBUG) context.stderr.write(`${err?.stack}\n`);
  return EXIT.failed;
}
