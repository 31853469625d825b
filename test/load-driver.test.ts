// The driver against small local HTTP servers: attribution whatever the header's case, the
// drain (every request the server answered is counted), sticky cookies per connection, and
// a run that stops by itself when the server never answers.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runLoad, unhookForeign } from '../src/load/driver.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping`;
}

describe('load driver', () => {
  it('attributes by a header in any case and counts exactly what the server answered', async () => {
    const answered: Record<string, number> = { 'i-upper': 0, 'i-lower': 0 };
    let n = 0;
    const url = await serve((_req, res) => {
      const id = n++ % 2 ? 'i-upper' : 'i-lower';
      answered[id]++;
      // Node writes header names as given: the driver must not care about the case.
      res.setHeader(id === 'i-upper' ? 'X-INSTANCE-ID' : 'x-instance-id', id);
      res.end('{"status":"ok"}');
    });
    const data = await runLoad({ url, connections: 4, durationSeconds: 1, identityHeader: 'X-Instance-Id' });
    expect(data.instances['i-upper'].count).toBe(answered['i-upper']);
    expect(data.instances['i-lower'].count).toBe(answered['i-lower']);
    expect(data.responses).toBe(n);
    expect(data.unattributed.count).toBe(0);
    expect(data.abandoned).toBe(0);
    expect(data.durationSeconds).toBeGreaterThanOrEqual(1);
    expect(data.durationSeconds).toBeLessThan(2);
    expect(data.instances['i-upper'].latency.totalCount).toBe(answered['i-upper']);
  });

  it('attributes every response when the server closes each connection (autocannon reconnects, same parser)', async () => {
    const answered: Record<string, number> = { 'i-a': 0, 'i-b': 0 };
    let n = 0;
    const url = await serve((_req, res) => {
      const id = n++ % 2 ? 'i-a' : 'i-b';
      answered[id]++;
      res.setHeader('Connection', 'close');
      res.setHeader('x-instance-id', id);
      res.end('ok');
    });
    const data = await runLoad({ url, connections: 2, durationSeconds: 1, identityHeader: 'x-instance-id' });
    expect(n).toBeGreaterThan(20); // many reconnects, not one connection
    expect(data.responses).toBe(n);
    expect(data.instances['i-a'].count).toBe(answered['i-a']);
    expect(data.instances['i-b'].count).toBe(answered['i-b']);
    expect(data.unattributed.count).toBe(0);
  });

  it('gives each sticky client the cookie of its first response, sent on every later request', async () => {
    let issued = 0;
    let withoutCookie = 0;
    const url = await serve((req, res) => {
      const cookie = /AWSALB=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      if (!cookie) {
        withoutCookie++;
        const id = `i-${issued++ % 3}`;
        res.setHeader('Set-Cookie', [`AWSALB=${id}; Path=/`, `AWSALBCORS=${id}; Path=/; Secure`]);
        res.setHeader('X-Instance-Id', id);
      } else res.setHeader('X-Instance-Id', cookie);
      res.end('ok');
    });
    const data = await runLoad({
      url,
      connections: 6,
      durationSeconds: 1,
      identityHeader: 'x-instance-id',
      sticky: { cookie: 'AWSALB' },
    });
    expect(withoutCookie).toBe(6); // only each connection's first request
    expect(data.sticky).toEqual({
      clients: 6,
      clientsWithCookie: 6,
      pinned: { 'i-0': 2, 'i-1': 2, 'i-2': 2 },
      violations: 0,
      clientsWithViolations: 0,
    });
    expect(data.responses).toBeGreaterThan(60);
  });

  it('stops by itself when the server never answers, counting the timeouts', async () => {
    const url = await serve(() => {}); // accepts, never responds
    const t0 = Date.now();
    const data = await runLoad({
      url,
      connections: 3,
      durationSeconds: 1,
      identityHeader: 'x-instance-id',
      requestTimeoutSeconds: 1,
    });
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(data.responses).toBe(0);
    expect(data.timeouts).toBeGreaterThanOrEqual(3);
    expect(data.transportErrors).toBe(data.timeouts);
  });

  it('counts connection errors when nothing listens', async () => {
    const url = await serve(() => {});
    const dead = servers.pop()!;
    await new Promise((r) => dead.close(r));
    const data = await runLoad({
      url,
      connections: 2,
      durationSeconds: 0.5,
      identityHeader: 'x-instance-id',
    });
    expect(data.responses).toBe(0);
    expect(data.transportErrors).toBeGreaterThan(0);
    expect(data.timeouts).toBe(0);
  });
});

describe('unhookForeign', () => {
  it("removes every other listener on the per-request events, keeps ours and the other events'", () => {
    const client = new EventEmitter();
    const ours = () => {};
    const theirs = () => {};
    const onDone = () => {};
    client.on('response', theirs).on('response', ours).on('request', theirs).on('done', onDone);
    unhookForeign(client, ['response', 'request'], new Set([ours]));
    expect(client.listeners('response')).toEqual([ours]);
    expect(client.listeners('request')).toEqual([]);
    expect(client.listeners('done')).toEqual([onDone]);
  });
});
