import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '../src');

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

describe('the main entry', () => {
  it('stays browser-safe: outside src/node no runtime import of Node, sharp or @xai/core (types only)', async () => {
    const offenders: string[] = [];
    for (const file of await sources(src)) {
      const path = relative(src, file);
      if (path.startsWith('node/')) continue;
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/^(import|export)(?! type)[^;]*?from '([^']+)'/gms)) {
        const target = match[2];
        if (!target.startsWith('.')) offenders.push(`${path}: ${target}`);
      }
      if (/\bimport\(\s*'(?!\.)/.test(text)) offenders.push(`${path}: dynamic import`);
    }
    expect(offenders).toEqual([]);
  });

  it('writes relative imports with .js', async () => {
    const missing: string[] = [];
    for (const file of await sources(src)) {
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/from '(\.[^']+)'/g)) {
        if (!match[1].endsWith('.js')) missing.push(`${relative(src, file)}: ${match[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
