// What the driver leaves listening on each autocannon client: one listener per per-request
// event, its own (autocannon's bookkeeping unhooked), and none on 'headers' (read in the
// parser's hook). Each extra listener is work on every request: docs/performance.md.
// autocannon itself is real; the mock only keeps each client it builds, to look at.
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it, vi } from 'vitest';
import { runLoad } from '../src/load/driver.js';

const built = vi.hoisted(() => [] as EventEmitter[]);
vi.mock('autocannon', async (importOriginal) => {
  const real = ((await importOriginal()) as { default: (...args: unknown[]) => unknown }).default;
  const keeping = (opts: { setupClient?: (c: EventEmitter) => void }, cb: unknown) =>
    real({ ...opts, setupClient: (c: EventEmitter) => (built.push(c), opts.setupClient?.(c)) }, cb);
  return { default: Object.assign(keeping, real) };
});

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

it("leaves one listener, the driver's, on each per-request event, and none on 'headers'", async () => {
  server = createServer((_req, res) => res.setHeader('x-instance-id', 'i-1').end('ok'));
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const data = await runLoad({ url, connections: 3, durationSeconds: 0.5, identityHeader: 'x-instance-id' });
  expect(data.instances['i-1'].count).toBe(data.responses);
  expect(built).toHaveLength(3);
  for (const client of built) {
    expect(client.listenerCount('response')).toBe(1);
    expect(client.listenerCount('request')).toBe(1);
    expect(client.listenerCount('headers')).toBe(0);
  }
});
