import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes a file whole or not at all: the bytes go to a temporary file beside it, are flushed to
 * disk, and the temporary file is renamed over the target. A run killed at any point leaves the
 * old file or the new one, never part of one (a stray `.tmp` file at worst).
 */
export async function withAtomicFile(path: string, write: (file: FileHandle) => Promise<void>): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  if (!swept.has(dir)) {
    swept.add(dir);
    await removeStaleTemporaries(dir);
  }
  const temporary = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  const file = await open(temporary, 'w');
  try {
    try {
      await write(file);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** `withAtomicFile` for data already in memory. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await withAtomicFile(path, async (file) => {
    await file.writeFile(data);
  });
}

const TEMPORARY = /^\..+\.(\d+)\.[a-z0-9]+\.tmp$/;
/** Folders this process has swept already. */
const swept = new Set<string>();

/**
 * Removes the temporary files that killed writers left in `dir` (those whose process is gone), so
 * an interrupted run does not keep a large partial file. The first write into a folder sweeps it
 * (once per process); call this for folders a run resumes in.
 */
export async function removeStaleTemporaries(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = TEMPORARY.exec(name)?.[1];
    if (pid && !isRunning(Number(pid))) await rm(join(dir, name), { force: true });
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
