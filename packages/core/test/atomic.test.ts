import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withAtomicFile, writeFileAtomic } from '../src/node/atomic.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'xai-atomic-'));

describe('files written whole or not at all', () => {
  it('writes the bytes under the name, creating the folder, and leaves no temporary file', async () => {
    const dir = scratch();
    const path = join(dir, 'deeper', 'a.json');
    await writeFileAtomic(path, '{"a":1}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
    expect(readdirSync(join(dir, 'deeper'))).toEqual(['a.json']);
  });

  it('keeps the old file when the writer fails half way, and removes its temporary file', async () => {
    const dir = scratch();
    const path = join(dir, 'm.npy');
    writeFileSync(path, 'old contents');
    const failing = withAtomicFile(path, async (file) => {
      await file.write('half of the new');
      throw new Error('the disk is full');
    });
    await expect(failing).rejects.toThrow('the disk is full');
    expect(readFileSync(path, 'utf8')).toBe('old contents');
    expect(readdirSync(dir)).toEqual(['m.npy']);
  });

  it("sweeps temporary files of writers that died, not those of running ones", async () => {
    const dir = scratch();
    // A pid that cannot be running (above Linux's pid_max) and this process's own.
    const dead = join(dir, '.m.npy.4194999.abc123.tmp');
    const alive = join(dir, `.n.npy.${process.pid}.def456.tmp`);
    const unrelated = join(dir, '.hidden.tmp');
    for (const p of [dead, alive, unrelated]) writeFileSync(p, 'partial');
    await writeFileAtomic(join(dir, 'other.json'), '{}');
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(alive)).toBe(true);
    expect(existsSync(unrelated)).toBe(true);
  });
});
