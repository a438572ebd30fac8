import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { npyHeader, parseNpy, type NpyArray } from '@xai/core';

/** The built binary: the kill test runs the real `xai` in a child process, as a user would. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export interface ChildRun {
  pid: number;
  /** Exit code, or null when the process was killed. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Wall time from spawn to exit. */
  ms: number;
  stderr: string;
}

/**
 * Runs `node dist/bin.js …args` in `cwd`; with `killAfterMs`, sends SIGKILL that long after the
 * spawn (a no-op if the run already ended: `signal` then stays null).
 */
export function runBinary(args: string[], options: { cwd: string; killAfterMs?: number }): Promise<ChildRun> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the CLI first (pnpm --filter @xai/cli... build)`);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    const stderr: string[] = [];
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    let ms = 0;
    let ended = false;
    const timer = options.killAfterMs === undefined ? undefined : setTimeout(() => {
      if (!ended) child.kill('SIGKILL');
    }, options.killAfterMs);
    child.on('error', reject);
    child.on('exit', () => {
      ended = true;
      ms = performance.now() - started;
      if (timer) clearTimeout(timer);
    });
    child.on('close', (code, signal) => resolve({ pid: child.pid ?? -1, code, signal, ms, stderr: stderr.join('') }));
  });
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * `withAtomicFile` names its temporary file `.<target>.<pid>.<random>.tmp` beside the target.
 * Returns the target name and the writer's pid, or undefined for any other name.
 */
export function temporaryOf(name: string): { target: string; pid: number } | undefined {
  const match = /^\.(.+)\.(\d+)\.[0-9a-z]*\.tmp$/.exec(name);
  return match ? { target: match[1], pid: Number(match[2]) } : undefined;
}

/** Every file under `dir`, as paths relative to it, sorted. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.sort();
}

export function isTemporary(path: string): boolean {
  return temporaryOf(basename(path)) !== undefined;
}

/**
 * Parses a `.npy` file and checks it is whole: the header parses and the file is exactly the
 * header plus the data its shape needs (parseNpy alone accepts trailing bytes).
 */
export function readWholeNpy(bytes: Uint8Array, name: string): NpyArray {
  const array = parseNpy(bytes, name);
  const expected = npyHeader(array.dtype, array.shape).length + array.data.byteLength;
  if (bytes.length !== expected) throw new Error(`${name}: ${bytes.length} bytes, a whole file of shape (${array.shape}) has ${expected}`);
  return array;
}

/**
 * Checks that a file the CLI wrote is readable whole, by its kind: JSON parses, `.npy` parses with
 * the exact length, PNG decodes, HTML is non-empty and ends with `</html>`. Throws otherwise.
 */
export async function checkReadable(path: string): Promise<void> {
  const bytes = new Uint8Array(readFileSync(path));
  if (path.endsWith('.json')) {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } else if (path.endsWith('.npy')) {
    readWholeNpy(bytes, path);
  } else if (path.endsWith('.png')) {
    const { width, height, format } = await sharp(bytes).metadata();
    if (format !== 'png' || !width || !height) throw new Error(`${path}: not a whole PNG`);
    await sharp(bytes).raw().toBuffer(); // decodes every row: a truncated PNG fails here
  } else if (path.endsWith('.html')) {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    if (!text.trimEnd().endsWith('</html>')) throw new Error(`${path}: ${bytes.length} bytes, not ending with </html>`);
  } else {
    throw new Error(`${path}: a file of a kind the kill test does not know`);
  }
}

/** The target path of a temporary file found at `path`. */
export function targetOfTemporary(path: string): string {
  const temp = temporaryOf(basename(path));
  if (!temp) throw new Error(`${path} is not a temporary file`);
  return join(dirname(path), temp.target);
}
