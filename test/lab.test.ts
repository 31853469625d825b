import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FormData, request } from 'undici';
import { CookieJar } from 'tough-cookie';
import { useLab } from './helpers/lab.js';
import { waitFor } from '../src/lab/processes.js';
import { serverStats } from '../src/lab/runtime-api.js';

interface Hit {
  status: number;
  instance: string;
  setCookie: string[];
  body: string;
}

async function hit(
  url: string,
  jar?: CookieJar,
  init: { method?: string; body?: FormData } = {},
): Promise<Hit> {
  const headers: Record<string, string> = {};
  const cookie = jar ? await jar.getCookieString(url) : '';
  if (cookie) headers.cookie = cookie;
  const res = await request(url, { method: (init.method ?? 'GET') as 'GET', headers, body: init.body });
  const body = await res.body.text();
  const raw = res.headers['set-cookie'];
  const setCookie = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (jar) for (const c of setCookie) await jar.setCookie(c, url);
  return { status: res.statusCode, instance: String(res.headers['x-instance-id']), setCookie, body };
}

/** Does something accept TCP connections on 127.0.0.1:port? */
function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

describe('the embedded lab', () => {
  const lab = useLab();
  const staging = () => lab.state.environments.staging;

  it('runs staging and production, each with an LB, two instances and a Redis', () => {
    for (const name of ['staging', 'production']) {
      const env = lab.state.environments[name];
      expect(env.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(env.instances.map((i) => i.id)).toHaveLength(2);
      expect(env.redis.main.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    }
    expect(lab.state.environments.staging.url).not.toBe(lab.state.environments.production.url);
  });

  it('balances cookie-less requests round robin over both instances', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) seen.push((await hit(`${staging().url}/ping`)).instance);
    const ids = staging().instances.map((i) => i.id);
    expect(new Set(seen)).toEqual(new Set(ids));
    // Strict alternation is what round robin does with equal weights.
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
  });

  it('pins a client to one instance with the AWSALB cookie (and AWSALBCORS)', async () => {
    const jar = new CookieJar();
    const first = await hit(`${staging().url}/ping`, jar);
    expect(first.setCookie.some((c) => c.startsWith('AWSALB='))).toBe(true);
    expect(first.setCookie.find((c) => c.startsWith('AWSALBCORS='))).toMatch(/SameSite=None; Secure/);
    const values = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const h = await hit(`${staging().url}/ping`, jar);
      expect(h.instance).toBe(first.instance);
      // As the ALB: set on every answer, a new opaque value each time, Expires ~7 days, no Max-Age.
      const alb = h.setCookie.find((c) => c.startsWith('AWSALB='))!;
      const cors = h.setCookie.find((c) => c.startsWith('AWSALBCORS='))!;
      const value = /^AWSALB=([^;]+)/.exec(alb)![1];
      expect(value).not.toContain(first.instance);
      expect(cors).toContain(`AWSALBCORS=${value};`);
      values.add(value);
      const expires = Date.parse(/Expires=([^;]+)/.exec(alb)![1]);
      expect(Math.abs(expires - Date.now() - 7 * 86400_000)).toBeLessThan(120_000);
      expect(alb).not.toMatch(/max-age/i);
    }
    expect(values.size).toBe(20);
  });

  it('shares sessions through Redis: written via one instance, read via the other', async () => {
    const jar = new CookieJar();
    const form = new FormData();
    const marker = `m-${Date.now()}`;
    form.append('csv_file', new Blob(['ward,value\nA,1\n']), `${marker}.csv`);
    const write = await hit(`${staging().url}/upload`, jar, { method: 'POST', body: form });
    expect(write.status).toBe(200);
    // Drop the sticky cookie only, keep the session cookie: the LB then picks the next instance.
    const sessionOnly = new CookieJar();
    const cookies = await jar.getCookies(staging().url);
    for (const c of cookies.filter((c) => c.key === 'chatmrpt_session'))
      await sessionOnly.setCookie(c, staging().url);
    let read: Hit | undefined;
    for (let i = 0; i < 6 && (!read || read.instance === write.instance); i++) {
      read = await hit(`${staging().url}/api/session/status`, sessionOnly);
    }
    expect(read?.instance).not.toBe(write.instance);
    expect(read?.body).toContain(`${marker}.csv`);
  });

  it('keeps production apart from staging (own Redis, own sessions)', async () => {
    const prod = lab.state.environments.production;
    expect(prod.redis.main.port).not.toBe(staging().redis.main.port);
    const r = await hit(`${prod.url}/ping`);
    expect(prod.instances.map((i) => i.id)).toContain(r.instance);
  });

  // Last: it kills an instance.
  it('routes everything to the survivor once one instance is killed, re-pinning its clients', async () => {
    const [a, b] = staging().instances;
    const jar = new CookieJar();
    let pinned = await hit(`${staging().url}/ping`, jar);
    while (pinned.instance !== b.id) {
      await jar.removeAllCookies();
      pinned = await hit(`${staging().url}/ping`, jar);
    }
    process.kill(b.pid!, 'SIGKILL');
    // kill() only queues the signal: on a busy machine the instance can still answer one more
    // request. Wait (bounded) until its port refuses connections: from then on it is gone.
    await waitFor('the killed instance to stop listening', async () => !(await listening(b.port)), 5000, 20);
    // As behind the ALB, nothing is retried elsewhere: the pinned user gets an error until the
    // health checks mark the target down (2 failed checks, at least 1 s apart: fall 2 x fastinter 1 s).
    // Either way an error, never a quiet retry on the survivor: a 5xx, or, when HAProxy had sent
    // the request on a kept-alive connection to the instance as it died, the client's connection
    // closed with no answer (undici: "other side closed"). Both are what the user sees.
    const meanwhile = await hit(`${staging().url}/ping`, jar).catch((err: Error): Hit => ({
      status: 0,
      instance: `no answer: ${err.message}`,
      setCookie: [],
      body: '',
    }));
    expect(meanwhile.status === 0 || meanwhile.status >= 500, JSON.stringify(meanwhile)).toBe(true);
    expect(meanwhile.instance).not.toBe(a.id);
    await waitFor(
      'HAProxy to mark the killed target DOWN',
      async () =>
        (await serverStats(staging().socketPath)).find((s) => s.name === b.id)?.status.startsWith('DOWN'),
      15_000,
      200,
    );
    for (let i = 0; i < 10; i++) expect((await hit(`${staging().url}/ping`)).instance).toBe(a.id);
    const repinned = await hit(`${staging().url}/ping`, jar);
    expect(repinned.status).toBe(200);
    expect(repinned.instance).toBe(a.id);
    expect(repinned.setCookie.some((c) => c.startsWith('AWSALB='))).toBe(true);
    for (let i = 0; i < 5; i++) expect((await hit(`${staging().url}/ping`, jar)).instance).toBe(a.id);
  });
});
