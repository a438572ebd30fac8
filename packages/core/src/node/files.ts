import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';
import { formatNpy, parseNpy, type NpyArray } from '../npy.js';
import { XaiError } from '../errors.js';

export async function readNpyFile(path: string): Promise<NpyArray> {
  return parseNpy(await readBytes(path, '.npy file'), path);
}

/** Writes an `.npy` file whole or not at all (see `writeFileAtomic`). */
export async function writeNpyFile(path: string, array: NpyArray): Promise<void> {
  await writeFileAtomic(path, formatNpy(array));
}

/** Reads a file, turning "not found" into an error that names the file and what it was for. */
export async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new XaiError(`${what} not found: ${path}`, { cause: error });
    if (code === 'EISDIR') throw new XaiError(`${what} expected, but ${path} is a directory`, { cause: error });
    throw new XaiError(`Cannot read ${what} ${path}: ${(error as Error).message}`, { cause: error });
  }
}
