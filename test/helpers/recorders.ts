// Witnesses for the safety tests: a reverse proxy that records every request it forwards
// (put in front of an environment's ALB or ELBv2 endpoint), and Redis's own MONITOR.
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Redis } from 'ioredis';

interface Recorded {
  method: string;
  path: string;
  /** The request body (first 64 KiB): the ELBv2 Query API's `Action=...` is in it. */
  body: string;
  /** The Cookie header, if any. */
  cookie?: string;
}

export interface RecordingProxy {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/** A node:http reverse proxy to `target` (http://127.0.0.1:P) that records each request. */
export async function recordingProxy(target: string): Promise<RecordingProxy> {
  const to = new URL(target);
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        body: body.subarray(0, 65536).toString('utf8'),
        ...(req.headers.cookie ? { cookie: req.headers.cookie } : {}),
      });
      const headers: IncomingHttpHeaders = { ...req.headers, host: to.host };
      const up = request(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      up.end(body);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

interface MonitoredCommand {
  /** The client's address ("127.0.0.1:54321"). */
  source: string;
  /** Command name in lower case, then its arguments. */
  args: string[];
}

export interface RedisWitness {
  commands: MonitoredCommand[];
  /** Client addresses that named themselves `name` (CLIENT SETNAME) since recording began. */
  clientsNamed(name: string): Set<string>;
  /** Wait until everything sent so far has been seen (a marker ECHO round-trips MONITOR). */
  settle(): Promise<void>;
  /** Is this command a write, per the server's own COMMAND INFO flags? */
  isWrite(command: string): Promise<boolean>;
  /** Calls per command since `mark()`, from INFO commandstats (sees what MONITOR hides, e.g. CONFIG). */
  callsSinceMark(): Promise<Record<string, number>>;
  /** Forget what was recorded; start counting calls from now. */
  mark(): Promise<void>;
  /** Whether a key exists now. */
  exists(key: string): Promise<boolean>;
  close(): Promise<void>;
}

function commandStats(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/**
 * Record every command a Redis server executes (MONITOR), plus INFO commandstats, which also
 * counts the administrative commands (CONFIG, ...) that MONITOR never shows.
 */
export async function witnessRedis(url: string): Promise<RedisWitness> {
  const commands: MonitoredCommand[] = [];
  const plain = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await plain.connect();
  const monitor = await new Redis(url, { lazyConnect: true }).monitor();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    commands.push({ source, args: [String(args[0]).toLowerCase(), ...args.slice(1).map(String)] });
  });
  const flags = new Map<string, boolean>();
  let baseline: Record<string, number> = {};
  let markers = 0;
  const settle = async () => {
    const marker = `parity-test-settle-${++markers}`;
    await plain.echo(marker);
    for (let i = 0; i < 100 && !commands.some((c) => c.args[0] === 'echo' && c.args[1] === marker); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    commands,
    clientsNamed: (name) =>
      new Set(
        commands
          .filter(
            (c) => c.args[0] === 'client' && c.args[1]?.toLowerCase() === 'setname' && c.args[2] === name,
          )
          .map((c) => c.source),
      ),
    settle,
    async isWrite(command) {
      const name = command.toLowerCase();
      if (!flags.has(name)) {
        const info = (await plain.call('COMMAND', 'INFO', name)) as [[string, number, string[]] | null];
        flags.set(name, info[0]?.[2]?.includes('write') ?? false);
      }
      return flags.get(name)!;
    },
    async callsSinceMark() {
      const now = commandStats(await plain.info('commandstats'));
      return Object.fromEntries(
        Object.entries(now)
          .map(([k, v]) => [k, v - (baseline[k] ?? 0)] as const)
          .filter(([, v]) => v > 0),
      );
    },
    async mark() {
      await settle();
      commands.length = 0;
      baseline = commandStats(await plain.info('commandstats'));
    },
    exists: async (key) => (await plain.exists(key)) === 1,
    async close() {
      monitor.disconnect();
      plain.disconnect();
    },
  };
}
