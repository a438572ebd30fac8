import { XaiError } from '@xai/core';
import type { Context } from './context.js';

/** Prints why one input failed, without ending the run. */
export function reportFailure(context: Context, what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  context.stderr.write(`xai: ${what}: ${message}\n`);
  if (!(error instanceof XaiError) && process.env.XAI_DEBUG && error instanceof Error) context.stderr.write(`${error.stack}\n`);
}
