// Integration test of the reference app (fixtures/app): a real redis-server and real app
// processes, so shared sessions, TTLs and the fault knobs are checked end to end.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

/** Spawns a child and resolves once a stdout line matches `ready`; rejects on early exit. */
function spawnUntil(cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp) {
  const child = spawn(cmd, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const match = new Promise<RegExpExecArray>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${cmd} not ready in 20 s: ${out}${err}`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m);
      }
    });
    child.on('exit', (code) => (clearTimeout(timer), rej(new Error(`${cmd} exited ${code}: ${out}${err}`))));
  });
  return { child, match };
}

async function startApp(env: Record<string, string>) {
  const { child, match } = spawnUntil(
    process.execPath,
    ['--import', 'tsx', 'fixtures/app/server.ts'],
    { PORT: '0', ...env },
    /^listening (\d+)$/m,
  );
  const m = await match;
  return { child, url: `http://127.0.0.1:${m[1]}` };
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

/** The JSON body as a plain record (fetch types it as unknown). */
const json = async (res: Response) => (await res.json()) as Record<string, unknown>;
const cookieOf = (res: Response) => res.headers.getSetCookie()[0]?.split(';')[0] ?? '';

let redisUrl = '';
let redis: Redis;
let a: { child: ChildProcess; url: string };
let b: { child: ChildProcess; url: string };
const base = { SESSION_TTL: '600', APP_VERSION: '1.4.2' };

beforeAll(async () => {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  await spawnUntil('/usr/bin/redis-server', args, {}, /Ready to accept connections/).match;
  redisUrl = `redis://127.0.0.1:${port}`;
  redis = new Redis(redisUrl);
  [a, b] = await Promise.all([
    startApp({ ...base, REDIS_URL: redisUrl, INSTANCE_ID: 'i-aaa' }),
    startApp({ ...base, REDIS_URL: redisUrl, INSTANCE_ID: 'i-bbb' }),
  ]);
});

afterAll(async () => {
  redis?.disconnect();
  // Apps first, then redis-server, so the apps do not log reconnect noise on the way out.
  await Promise.all(children.slice(1).map(stop));
  await Promise.all(children.slice(0, 1).map(stop));
});

describe('reference app', () => {
  it('answers /ping with identity headers', async () => {
    const res = await fetch(`${a.url}/ping`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-instance-id')).toBe('i-aaa');
    expect(res.headers.get('x-app-version')).toBe('1.4.2');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /health with 200, healthy or degraded per the knob', async () => {
    const res = await fetch(`${a.url}/health`);
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ overall: 'healthy', services: { redis: 'ok', app: 'ok' } });
    expect(typeof body.timestamp).toBe('number');

    const sick = await startApp({ REDIS_URL: redisUrl, INSTANCE_ID: 'i-sick', HEALTH: 'degraded' });
    const res2 = await fetch(`${sick.url}/health`);
    expect(res2.status).toBe(200);
    expect((await json(res2)).overall).toBe('degraded');
    expect(await stop(sick.child)).toBe(0);
  });

  it('shares sessions across instances through Redis', async () => {
    const signin = await fetch(`${a.url}/auth/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'lab@example.org', password: 'x' }),
    });
    expect(signin.status).toBe(200);
    const { token, user } = await json(signin);
    expect(user).toBe('lab@example.org');
    expect(token).toMatch(/^tok_/);
    const cookie = cookieOf(signin);
    expect(signin.headers.getSetCookie()[0]).toMatch(
      /^chatmrpt_session=[0-9a-f]{32}\.[\w-]+; Path=\/; HttpOnly; SameSite=Lax$/,
    );

    const form = new FormData();
    form.append('csv_file', new Blob(['ward,cases\nA,1\nB,2\n']), 'cases; week 1.csv');
    const up = await fetch(`${a.url}/upload`, { method: 'POST', headers: { cookie }, body: form });
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({
      ok: true,
      filename: 'cases; week 1.csv',
      bytes: expect.any(Number),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      session_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      instance: 'i-aaa',
    });

    const sid = cookie.split('=')[1]!.split('.')[0]!;
    const status = await fetch(`${b.url}/api/session/status`, { headers: { cookie } });
    expect(await status.json()).toEqual({
      hasSession: true,
      sessionId: sid.slice(0, 8),
      user: 'lab@example.org',
      uploads: ['cases; week 1.csv'],
      servedBy: 'i-bbb',
    });

    const stored = JSON.parse((await redis.get(`chatmrpt:${sid}`))!);
    expect(stored.uploads[0]).toMatchObject({ rows: 2, bytes: 19, instance: 'i-aaa' });
    const ttl = await redis.ttl(`chatmrpt:${sid}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(600);

    // Bearer token alone reaches the same session.
    const viaToken = await fetch(`${b.url}/api/session/status`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect((await json(viaToken)).sessionId).toBe(sid.slice(0, 8));
  });

  it('ignores a cookie with a bad signature', async () => {
    const signin = await fetch(`${a.url}/auth/signin`, {
      method: 'POST',
      body: '{"email":"u@x","password":"p"}',
    });
    const [name, value] = cookieOf(signin).split('=');
    const forged = `${name}=${value!.split('.')[0]}.AAAA`;
    const status = await fetch(`${b.url}/api/session/status`, { headers: { cookie: forged } });
    expect(await status.json()).toMatchObject({ hasSession: false, sessionId: null, user: null });

    const form = new FormData();
    form.append('csv_file', new Blob(['h\n']), 'x.csv');
    const up = await fetch(`${a.url}/upload`, { method: 'POST', headers: { cookie: forged }, body: form });
    expect(cookieOf(up)).not.toBe(cookieOf(signin)); // a fresh session, not the signed-in one
  });

  it('hides identity headers with IDENTITY_HEADERS=0 but still answers /whoami', async () => {
    const quiet = await startApp({
      REDIS_URL: redisUrl,
      INSTANCE_ID: 'i-quiet',
      APP_VERSION: '2.0.0',
      IDENTITY_HEADERS: '0',
    });
    const ping = await fetch(`${quiet.url}/ping`);
    expect(ping.headers.get('x-instance-id')).toBeNull();
    expect(ping.headers.get('x-app-version')).toBeNull();
    const who = await fetch(`${quiet.url}/whoami`);
    expect(await who.json()).toEqual({ node: 'i-quiet', build: '2.0.0' });
    expect(await stop(quiet.child)).toBe(0);
  });

  it('rejects bad requests without crashing', async () => {
    const bad = await fetch(`${a.url}/auth/signin`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    const noPw = await fetch(`${a.url}/auth/signin`, {
      method: 'POST',
      body: '{"email":"u@x","password":""}',
    });
    expect(noPw.status).toBe(401);
    expect(await noPw.json()).toEqual({ error: 'invalid credentials' });
    const form = new FormData();
    form.append('other', 'x');
    const missing = await fetch(`${a.url}/upload`, { method: 'POST', body: form });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({ error: 'csv_file missing' });
    const big = await fetch(`${a.url}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: Buffer.alloc(11 * 1024 * 1024),
    }).catch(() => null); // the server may close before the client finished sending
    if (big) expect(big.status).toBe(413);
    expect((await fetch(`${a.url}/nope`)).status).toBe(404);
    expect((await fetch(`${a.url}/ping`)).status).toBe(200);
  });

  it('fails fast with 503 and degraded health when Redis is unreachable, and exits 0 on SIGTERM', async () => {
    const orphan = await startApp({
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      INSTANCE_ID: 'i-orphan',
    });
    const t0 = Date.now();
    const signin = await fetch(`${orphan.url}/auth/signin`, {
      method: 'POST',
      body: '{"email":"u@x","password":"p"}',
    });
    expect(signin.status).toBe(503);
    expect(await signin.json()).toEqual({ error: 'session store unavailable' });
    const health = await fetch(`${orphan.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ overall: 'degraded', services: { redis: 'error' } });
    expect(Date.now() - t0).toBeLessThan(2500);
    const t1 = Date.now();
    expect(await stop(orphan.child)).toBe(0);
    expect(Date.now() - t1).toBeLessThan(1000);
  });

  describe('uploads on the instance disk', () => {
    const dirs: string[] = [];
    const dataDir = () => {
      const d = mkdtempSync(join(tmpdir(), 'parity-app-data-'));
      dirs.push(d);
      return d;
    };
    afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

    const uploadTo = async (url: string, name: string, cookie = '') => {
      const form = new FormData();
      form.append('csv_file', new Blob(['ward,cases\nA,1\nB,2\n']), name);
      const res = await fetch(`${url}/upload`, {
        method: 'POST',
        headers: cookie ? { cookie } : {},
        body: form,
      });
      expect(res.status).toBe(200);
      return cookie || cookieOf(res);
    };
    const analyze = (url: string, cookie: string) =>
      fetch(`${url}/api/analysis/start`, { method: 'POST', headers: { cookie } });

    it('stores the upload under <dataDir>/instance/uploads/<sid>/, lists it, and analyzes it', async () => {
      const data = dataDir();
      const app = await startApp({ ...base, REDIS_URL: redisUrl, INSTANCE_ID: 'i-disk', DATA_DIR: data });
      try {
        const cookie = await uploadTo(app.url, '../../etc/cases.csv');
        const sid = cookie.split('=')[1]!.split('.')[0]!;
        expect(readdirSync(join(data, 'instance', 'uploads', sid))).toEqual(['cases.csv']);
        const status = await fetch(`${app.url}/api/upload/status`, { headers: { cookie } });
        expect(await status.json()).toEqual({
          sessionId: sid.slice(0, 8),
          folder: `instance/uploads/${sid.slice(0, 8)}…/`,
          files: ['cases.csv'],
          servedBy: 'i-disk',
        });
        const res = await analyze(app.url, cookie);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({
          status: 'complete',
          file: 'cases.csv',
          rows: 2,
          columns: ['ward', 'cases'],
          servedBy: 'i-disk',
        });
      } finally {
        await stop(app.child);
      }
    });

    it('the analysis fails clearly where the session lists a file this instance does not have', async () => {
      const [d1, d2] = [dataDir(), dataDir()];
      const [one, two] = await Promise.all([
        startApp({ ...base, REDIS_URL: redisUrl, INSTANCE_ID: 'i-one', DATA_DIR: d1 }),
        startApp({ ...base, REDIS_URL: redisUrl, INSTANCE_ID: 'i-two', DATA_DIR: d2 }),
      ]);
      try {
        const cookie = await uploadTo(one.url, 'w1.csv');
        const res = await analyze(two.url, cookie);
        expect(res.status).toBe(404);
        expect((await json(res)).error).toMatch(
          /^"w1\.csv" is not in instance\/uploads\/[0-9a-f]{8}…\/ on i-two \(uploaded through i-one\)$/,
        );
        const listed = await fetch(`${two.url}/api/upload/status`, { headers: { cookie } });
        expect((await json(listed)).files).toEqual([]);
        // The session itself is shared: i-two knows the upload, only its disk lacks the file.
        const session = await fetch(`${two.url}/api/session/status`, { headers: { cookie } });
        expect((await json(session)).uploads).toEqual(['w1.csv']);
        const none = await analyze(two.url, '');
        expect(none.status).toBe(400);
        expect((await json(none)).error).toBe('no session: upload a CSV first');
      } finally {
        await Promise.all([stop(one.child), stop(two.child)]);
      }
    });

    it('with SYNC_TO and SYNC_DELAY_MS the upload reaches the peer folder only after the delay', async () => {
      const [d1, d2] = [dataDir(), dataDir()];
      const one = await startApp({
        ...base,
        REDIS_URL: redisUrl,
        INSTANCE_ID: 'i-src',
        DATA_DIR: d1,
        SYNC_TO: d2,
        SYNC_DELAY_MS: '3000',
      });
      try {
        const cookie = await uploadTo(one.url, 'lag.csv');
        const sid = cookie.split('=')[1]!.split('.')[0]!;
        const copy = join(d2, 'instance', 'uploads', sid, 'lag.csv');
        const uploadedAt = Date.now();
        expect(existsSync(copy)).toBe(false); // not yet: the copy is delayed
        const deadline = uploadedAt + 15_000;
        while (!existsSync(copy) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        expect(existsSync(copy)).toBe(true);
      } finally {
        await stop(one.child);
      }
    });

    it('without DATA_DIR it uses a private temp folder and removes it on exit', async () => {
      const id = `i-tmp${process.pid}`;
      const app = await startApp({ ...base, REDIS_URL: redisUrl, INSTANCE_ID: id });
      const cookie = await uploadTo(app.url, 'x.csv');
      expect((await analyze(app.url, cookie)).status).toBe(200);
      const before = readdirSync(tmpdir()).filter((n) => n.startsWith(`parity-app-${id}-`));
      expect(before).toHaveLength(1);
      expect(await stop(app.child)).toBe(0);
      expect(existsSync(join(tmpdir(), before[0]!))).toBe(false);
    });
  });
});
