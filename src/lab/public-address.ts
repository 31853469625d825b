import { createServer } from 'node:net';

// The lab's stand-ins for EC2 public addresses: loopback addresses other than 127.0.0.1
// (Linux routes all of 127.0.0.0/8 to lo), so a probe of a "public" address never leaves the
// machine. Tests and the lab never use any address outside 127.0.0.0/8.

/** Can we bind host:port right now? */
function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/**
 * The first of 127.0.0.2 … 127.0.0.50 on which `port` is free and that no instance of `taken`
 * already holds. Picked, released, then bound by the app: a lost race shows as EADDRINUSE in
 * the app's log, which labUp retries.
 */
export async function freeLoopbackAddress(
  port: number,
  taken: { publicIp?: string }[] = [],
): Promise<string> {
  for (let n = 2; n <= 50; n++) {
    const host = `127.0.0.${n}`;
    if (taken.some((t) => t.publicIp === host)) continue;
    if (await bindable(host, port)) return host;
  }
  throw new Error(`no loopback address 127.0.0.2-50 has port ${port} free for a "public" address`);
}
