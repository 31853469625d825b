// Issue 12 item 10: the real-pair commands of the docs work as printed. The config block and
// the commands are read from whichever doc holds the section (README.md or docs/*.md), so
// they follow it; only what cannot run here is replaced: the ALB hosts and the "…"
// placeholders become local stand-ins, and the ELBv2 endpoint is a local one (never AWS).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { elbv2Error, healthyApp, redisServer, type Local } from './helpers/bad-servers.js';
import { BIN } from './helpers/cli.js';

const ROOT = join(import.meta.dirname, '..');
const HEADING = 'Pointing it at a real staging/production pair';

function section(): { doc: string; yaml: string; commands: string[] } {
  const docs = [
    'README.md',
    ...(existsSync(join(ROOT, 'docs')) ? readdirSync(join(ROOT, 'docs')).map((f) => `docs/${f}`) : []),
  ];
  for (const doc of docs.filter((d) => d.endsWith('.md'))) {
    const text = readFileSync(join(ROOT, doc), 'utf8');
    const at = text.indexOf(`# ${HEADING}`);
    if (at < 0) continue;
    const rest = text.slice(at);
    const yaml = /```yaml\n([\s\S]*?)```/.exec(rest)?.[1];
    const sh = /```sh\n([\s\S]*?)```/.exec(rest)?.[1];
    if (!yaml || !sh) continue;
    return { doc, yaml, commands: sh.split('\n').filter((l) => l.includes('npx parity')) };
  }
  throw new Error(`no doc has the section "${HEADING}" with a yaml and an sh block`);
}

const work = mkdtempSync(join(tmpdir(), 'parity-readme-'));
const servers: Local[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(work, { recursive: true, force: true });
});

describe('the real-pair commands of the docs', () => {
  it('run as printed: no variable of an environment the run does not use is required', async () => {
    const { doc, yaml, commands } = section();
    expect(commands.length, doc).toBeGreaterThanOrEqual(2);
    const [staging, production, elb, redis] = await Promise.all([
      healthyApp(),
      healthyApp(),
      elbv2Error('LoadBalancerNotFound', 400, 'not found'),
      redisServer(),
    ]);
    servers.push(staging, production, elb, redis);
    // The two ALB URLs of the block (staging's first) become the stand-ins.
    let k = 0;
    const config = yaml.replace(/url: http:\/\/\S+\.amazonaws\.com/g, () =>
      k++ === 0 ? `url: ${staging.url}` : `url: ${production.url}`,
    );
    expect(k, 'two ALB URLs in the block').toBe(2);
    writeFileSync(join(work, 'parity.config.yaml'), config);
    const clean: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([n]) => !/REDIS_URL|^APP_|^AWS_/.test(n)),
    );
    for (const printed of commands) {
      // Placeholders of the printed command ("…") get local values; nothing else changes.
      const line = printed
        .replace(/\b(\w*REDIS_URL)=\S+/g, (_m, name: string) => `${name}=${redis.url}`)
        .replace(/\bAPP_USER=…/g, 'APP_USER=ops@example.test')
        .replace(/\bAPP_PASSWORD=…/g, 'APP_PASSWORD=not-a-real-one')
        .replace(/\bnpx parity\b/, `node ${BIN}`);
      expect(line, 'no placeholder left').not.toContain('…');
      let code = 0;
      let stderr = '';
      try {
        execFileSync('sh', ['-c', `${line} --out reports`], {
          cwd: work,
          env: { ...clean, AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: elb.url },
          stdio: ['ignore', 'ignore', 'pipe'],
          timeout: 100_000,
        });
      } catch (err) {
        const e = err as { status: number | null; stderr: Buffer };
        code = e.status ?? -1;
        stderr = e.stderr.toString();
      }
      // It ran (checks may fail against these stand-ins): not a config error, not killed.
      expect([0, 1, 3], `${printed}\n${stderr}`).toContain(code);
      expect(stderr).not.toMatch(/is not set/);
    }
  }, 240_000);
});
