// Issue 25 item 6: a journey's teardown also runs when the run is stopped. SIGINT while a
// journey waits out a step: the vitest worker dies with its process, and the CLI sends the
// teardown the journey left pending (with the user's cookies), so the upload is deleted; the
// pending folder (it held session cookies) is gone afterwards.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { BIN } from './helpers/cli.js';
import { useLab } from './helpers/lab.js';
import { stagingOnly } from './helpers/topology.js';

const work = mkdtempSync(join(tmpdir(), 'parity-journey-stop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => d.name);
}

/** The pending teardown files' texts under TMPDIR. */
function pendingTexts(tmp: string): string[] {
  return readdirSync(tmp)
    .filter((d) => d.startsWith('parity-teardown-'))
    .flatMap((d) =>
      readdirSync(join(tmp, d))
        .filter((f) => f.endsWith('.json'))
        .map((f) => {
          try {
            return readFileSync(join(tmp, d, f), 'utf8');
          } catch {
            return '';
          }
        }),
    );
}

describe('journey teardown after SIGINT', () => {
  const lab = useLab({ topology: stagingOnly() });

  it('the CLI sends the pending teardown: no upload of the journey is left, exit 130, the pending folder is gone', async () => {
    const tmp = join(work, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const config = parse(readFileSync(lab.state.config!, 'utf8')) as Record<string, unknown>;
    config.journeys = [
      {
        name: 'stopped',
        steps: [
          {
            name: 'upload',
            request: {
              method: 'POST',
              path: '/upload',
              form: { csv_file: { filename: 'journey-{marker}.csv', content: 'ward,value\nA,1\n' } },
            },
            capture: { session_id: { json: '/session_id' } },
          },
          // Never true: repeated for its whole window, long after the stop.
          {
            name: 'wait',
            settleSeconds: 60,
            request: { path: '/api/uploads/{session_id}' },
            expect: { contains: 'never-{marker}' },
          },
        ],
        teardown: [{ name: 'clear', request: { method: 'POST', path: '/api/data/clear' } }],
      },
    ];
    const file = join(work, 'parity.config.yaml');
    writeFileSync(file, stringify(config));
    const uploads = join(lab.dir, 'staging', 'data', 'instance', 'uploads');
    const child = spawn(process.execPath, [BIN, 'smoke', '--config', file, '--out', join(work, 'reports')], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      // The upload is on disk and its user's teardown (with the session cookie) is pending.
      const until = Date.now() + 60_000;
      while (
        Date.now() < until &&
        !(
          filesUnder(uploads).some((f) => f.startsWith('journey-')) &&
          pendingTexts(tmp).some((t) => t.includes('chatmrpt_session') && t.includes('/api/data/clear'))
        )
      )
        await new Promise((r) => setTimeout(r, 100));
      expect(
        filesUnder(uploads).some((f) => f.startsWith('journey-')),
        stderr,
      ).toBe(true);
      child.kill('SIGINT');
      expect(await exited, stderr).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
    expect(stderr).toMatch(
      /parity: journey stopped teardown for its pinned user after the stop: "clear" answered 200/,
    );
    expect(stderr).toMatch(/stopped .*journey teardown/);
    expect(filesUnder(uploads).filter((f) => f.startsWith('journey-'))).toEqual([]);
    expect(readdirSync(tmp).filter((d) => d.startsWith('parity-teardown-'))).toEqual([]);
  }, 120_000);
});
