// `parity load` refuses bad input with one line and exit 2, before any traffic is sent.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'parity-load-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

// Port 9 (discard) on localhost: nothing listens, and nothing must be sent anyway.
const config = file(
  'parity.config.yaml',
  'environments:\n  staging: { role: staging, url: "http://127.0.0.1:9" }\n',
);

async function parity(...args: string[]) {
  try {
    const r = await promisify(execFile)(process.execPath, [join(PROJECT_ROOT, 'bin/parity.js'), ...args], {
      cwd: dir,
      env: { ...process.env, CI: '1' },
      timeout: 20_000,
    });
    return { code: 0, ...r };
  } catch (e) {
    return e as { code: number; stdout: string; stderr: string };
  }
}

describe('parity load usage errors', () => {
  it('says load attribution needs a header when identity is a JSON body', async () => {
    const json = file(
      'json-identity.yaml',
      'environments:\n  staging: { role: staging, url: "http://127.0.0.1:9" }\napp: { identity: { path: /whoami, json: /node } }\n',
    );
    const r = await parity('load', '--config', json);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'parity: load attribution needs an identity header: app.identity reads /whoami JSON /node, which load responses do not carry; set app.identity.header',
    ]);
  });

  it('bounds connections and duration, and checks --shard', async () => {
    const cases: [string[], string][] = [
      [['--connections', '0'], '--connections must be an integer from 1 to 1000, got 0'],
      [['--connections', 'many'], '--connections must be a whole number, got "many"'],
      [['--duration', '11m'], '--duration must be at least 1 s and at most 600 s, got 660 s'],
      [['--shard', '3/2', '--out', 'p.json'], '--shard: "3/2" must be I/N with 1 <= I <= N'],
    ];
    const results = await Promise.all(cases.map(([args]) => parity('load', ...args)));
    results.forEach((r, i) => {
      expect(r.code, cases[i][1]).toBe(2);
      expect(r.stderr).toContain(cases[i][1]);
      expect(r.stderr).not.toContain('    at ');
    });
  });

  it('merge refuses files that are not shards, naming the file', async () => {
    const bad = file('bad.json', '{"kind":"something-else"}');
    const r = await parity('load', 'merge', bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`parity: ${bad}: not a parity load shard file`);
    const missing = await parity('load', 'merge', join(dir, 'nope.json'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`parity: shard part ${join(dir, 'nope.json')}: file not found\n`);
  });

  it('exits 3 with one line when the target does not answer', async () => {
    const r = await parity('load', '--config', config, '--duration', '1', '--connections', '2', '--json');
    expect(r.code).toBe(3);
    const out = JSON.parse(r.stdout);
    expect(out.requests).toBe(0);
    expect(out.checks[0]).toMatchObject({ id: 'load.distribution', status: 'error' });
    expect(out.checks[0].diagnosis).toMatch(
      /^no response from http:\/\/127\.0\.0\.1:9\/ping: [\d,]+ connection errors/,
    );
  });
});
