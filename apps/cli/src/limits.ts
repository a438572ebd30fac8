import { statfs } from 'node:fs/promises';
import { totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { UsageError } from './command.js';

/** The most one batch may hold, whatever the machine: beyond it the model's activations are many times more. */
export const BATCH_MEMORY_CAP = 2 * 1024 ** 3;

/** What one batch's inputs (and masks) may take: a quarter of this machine's memory, at most 2 GiB. */
export function memoryBudget(): number {
  return Math.min(BATCH_MEMORY_CAP, Math.floor(totalmem() / 4));
}

/** `3221225472` → `3.0 GiB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

export interface BatchItem {
  /** Bytes of one batch entry. */
  bytes: number;
  /** What one entry is, for the message: `64×64×3 float32 input + 64×64 mask`. */
  what: string;
}

/**
 * Refuses a batch size whose batch would not fit the memory budget, with the size it would take
 * and the largest batch that fits. `flag` names the option the size came from.
 */
export function checkBatchMemory(batchSize: number, item: BatchItem, flag = 'batch-size', command?: string): void {
  const budget = memoryBudget();
  const bytes = batchSize * item.bytes;
  if (bytes <= budget) return;
  const fits = Math.floor(budget / item.bytes);
  const largest = fits >= 1 ? `the largest batch that fits is ${fits}` : 'not even one entry fits';
  throw new UsageError(
    `--${flag} ${batchSize} would take ${formatBytes(bytes)} per batch (${batchSize} × ${item.what}), over the budget of ` +
      `${formatBytes(budget)} (a quarter of this machine's memory, at most ${formatBytes(BATCH_MEMORY_CAP)}); ${largest}`,
    command,
  );
}

/** Free bytes on the file system that `path` would be written to (its nearest existing folder), or undefined if unknown. */
export async function freeSpaceFor(path: string): Promise<number | undefined> {
  let dir = dirname(resolve(path));
  for (;;) {
    try {
      const info = await statfs(dir);
      return Number(info.bavail) * Number(info.bsize);
    } catch (error) {
      const parent = dirname(dir);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === dir) return undefined;
      dir = parent;
    }
  }
}

/** Refuses to start writing a file of `bytes` that cannot fit on its disk; `what` says what it holds, naming the options. */
export async function checkDiskSpace(path: string, bytes: number, what: string, command?: string): Promise<void> {
  const free = await freeSpaceFor(path);
  if (free === undefined || bytes <= free) return;
  throw new UsageError(`${what} would take ${formatBytes(bytes)} in ${path}, but its disk has ${formatBytes(free)} free`, command);
}
