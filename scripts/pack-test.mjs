// Packs every publishable package, installs the tarballs into a scratch project outside the
// workspace with plain npm, imports each from ESM and type-checks a file that uses each.
// Writes { passed, failed } to the file named by the first argument (default .pack-results.json).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = process.argv[2] ?? join(root, '.pack-results.json');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({ dir: join(root, 'packages', dir), manifest: join(root, 'packages', dir, 'package.json') }))
  .filter((p) => existsSync(p.manifest))
  .map((p) => ({ ...p, json: JSON.parse(readFileSync(p.manifest, 'utf8')) }))
  .filter((p) => !p.json.private);

const scratch = mkdtempSync(join(tmpdir(), 'xai-pack-'));
const results = [];
const check = (name, fn) => {
  try {
    fn();
    results.push({ name, ok: true });
    console.log(`✓ ${name}`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`✗ ${name}\n${error.stdout ?? ''}${error.stderr ?? ''}${error.message}`);
  }
};

const tarballs = [];
for (const p of packages) {
  check(`pack ${p.json.name}`, () => {
    const file = run('pnpm', ['pack', '--pack-destination', scratch], p.dir).trim().split('\n').pop();
    tarballs.push(file.startsWith('/') ? file : join(scratch, file));
  });
}

writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
const peers = ['@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-backend-wasm@4.22.0', '@tensorflow/tfjs-backend-cpu@4.22.0',
  '@tensorflow/tfjs-layers@4.22.0', '@tensorflow/tfjs-converter@4.22.0', 'typescript@~6.0.0', '@types/node@20'];
check('npm install of the tarballs', () => run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', ...tarballs, ...peers], scratch));

for (const p of packages) {
  check(`import ${p.json.name} from ESM`, () =>
    run('node', ['--input-type=module', '-e', `const m = await import('${p.json.name}'); if (!Object.keys(m).length) throw new Error('no exports');`], scratch),
  );
}

check('gradients through a conv net in plain Node (selectBackend registers them)', () =>
  run('node', ['--input-type=module', '-e', `
    const core = await import('@xai/core');
    const tf = await import('@tensorflow/tfjs-core');
    await core.selectBackend({ prefer: 'wasm' });
    const x = tf.ones([1, 5, 5, 2]);
    const g = tf.grad((w) => tf.sum(tf.conv2d(x, w, 2, 'same')))(tf.ones([3, 3, 2, 3]));
    if (g.shape.join() !== '3,3,2,3') throw new Error('bad gradient shape ' + g.shape);`], scratch),
);

const uses = packages
  .map((p, i) => `import * as pkg${i} from '${p.json.name}';\nexport const exports${i}: string[] = Object.keys(pkg${i});`)
  .join('\n');
writeFileSync(join(scratch, 'use.ts'), uses + '\n');
check('type-check a file using every package', () =>
  run(join(scratch, 'node_modules/.bin/tsc'), ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,dom', 'use.ts'], scratch),
);

rmSync(scratch, { recursive: true, force: true });
const passed = results.filter((r) => r.ok).length;
writeFileSync(out, JSON.stringify({ passed, failed: results.length - passed }));
console.log(`pack test: ${passed} passed, ${results.length - passed} failed`);
