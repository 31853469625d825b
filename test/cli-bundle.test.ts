// The cached bundles of bin/bundle.js (the CLI and the built-in suites run from them): an
// edited source is rebuilt before it runs, racing builders never see a torn bundle, and each
// module keeps its own import.meta.url. Against a small project in a temp folder.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { cachedBundle } from '../bin/bundle.js';

const run = promisify(execFile);
const BUNDLE = pathToFileURL(join(import.meta.dirname, '../bin/bundle.js')).href;
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function project(value: string): string {
  const root = mkdtempSync(join(tmpdir(), 'parity-bundle-'));
  roots.push(root);
  mkdirSync(join(root, 'src/cli'), { recursive: true });
  writeFileSync(join(root, 'src/value.ts'), `export const value: string = ${JSON.stringify(value)};\n`);
  writeFileSync(
    join(root, 'src/cli/main.ts'),
    [
      "import { fileURLToPath } from 'node:url';",
      "const { value } = await import('../value.js');",
      'console.log(JSON.stringify({ value, self: fileURLToPath(import.meta.url) }));',
      '',
    ].join('\n'),
  );
  return root;
}

const spec = (root: string) => ({ name: 'cli', entryPoints: ['src/cli/main.ts'], sources: ['src'], root });

async function runEntry(dir: string): Promise<{ value: string; self: string }> {
  const { stdout } = await run(process.execPath, [join(dir, 'cli/main.mjs')]);
  return JSON.parse(stdout);
}

describe('cachedBundle', () => {
  it('runs the current sources: an edit gives a new bundle, an unchanged tree the same one', async () => {
    const root = project('one');
    const first = await cachedBundle(spec(root));
    expect(await runEntry(first)).toEqual({ value: 'one', self: join(root, 'src/cli/main.ts') });
    expect(await cachedBundle(spec(root))).toBe(first);

    writeFileSync(join(root, 'src/value.ts'), 'export const value: string = "two";\n');
    const second = await cachedBundle(spec(root));
    expect(second).not.toBe(first);
    expect((await runEntry(second)).value).toBe('two');
  });

  it('racing processes all get the same complete bundle, and leave no temp folder', async () => {
    const root = project('raced');
    const script = `const { cachedBundle } = await import(${JSON.stringify(BUNDLE)}); process.stdout.write(await cachedBundle(${JSON.stringify(spec(root))}));`;
    const dirs = await Promise.all(
      Array.from({ length: 4 }, () => run(process.execPath, ['--input-type=module', '-e', script])),
    );
    const unique = [...new Set(dirs.map((d) => d.stdout))];
    expect(unique).toHaveLength(1);
    expect((await runEntry(unique[0])).value).toBe('raced');
    expect(readdirSync(join(root, 'node_modules/.cache/parity'))).toEqual([unique[0].split('/').pop()]);
  });
});
