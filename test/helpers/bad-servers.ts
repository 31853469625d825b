// Local servers that misbehave on purpose, for the bad-input tests: every one listens on
// 127.0.0.1 only, and `close()` ends every socket it holds (no test waits on a hung peer).
import { redisArgs } from '../../src/lab/environment.js';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import {
  connect,
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { findBinary } from '../../src/lab/binaries.js';

export interface Local {
  port: number;
  url: string;
  /** Requests (HTTP servers) or connections (raw servers) seen so far. */
  hits: { method?: string; path?: string; body?: string }[];
  close(): Promise<void>;
}

async function listen(server: Server, scheme: string, hits: Local['hits']): Promise<Local> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP server with the given handler; records method, path and (up to 64 KiB of) body. */
export function httpServer(handler: RequestListener): Promise<Local> {
  const hits: Local['hits'] = [];
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      if (body.length < 65536) body += c.toString();
    });
    req.on('end', () => {
      hits.push({ method: req.method, path: req.url, body });
      handler(req, res);
    });
  });
  return listen(server, 'http', hits);
}

/** Accepts TCP connections and never sends a byte: a target that never answers. */
export function silentServer(): Promise<Local> {
  const hits: Local['hits'] = [];
  const server = createNetServer((s) => {
    hits.push({});
    s.on('error', () => {});
  });
  return listen(server, 'http', hits);
}

/** A raw TCP server: `onData` gets each socket that sent bytes (a request), to answer or close. */
export function rawServer(onData: (s: Socket) => void): Promise<Local> {
  const hits: Local['hits'] = [];
  const server = createNetServer((s) => {
    hits.push({});
    s.on('error', () => {});
    s.on('data', () => onData(s));
  });
  return listen(server, 'http', hits);
}

/** A port that was free a moment ago and has nothing listening: connections are refused. */
export async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A self-signed certificate for 127.0.0.1, made with openssl at test time. */
function selfSignedCert(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'parity-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A TLS server with a self-signed certificate that answers any request with 200 (if ever trusted). */
export function selfSignedTlsServer(): Promise<Local> {
  const hits: Local['hits'] = [];
  const server = createTlsServer(selfSignedCert(), (s) => {
    hits.push({});
    s.on('error', () => {});
    s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
  });
  return listen(server, 'https', hits);
}

/**
 * A stand-in for an app behind an ALB that is fine: /health answers healthy JSON, and the
 * answers alternate between two instance ids (cookie-less requests spread over both).
 */
export function healthyApp(): Promise<Local> {
  let n = 0;
  return httpServer((req, res) => {
    const id = n++ % 2 === 0 ? 'i-00000000000000a01' : 'i-00000000000000b02';
    const headers = { 'content-type': 'application/json', 'x-instance-id': id, 'x-app-version': '1.0.0' };
    if (req.url === '/health') {
      res.writeHead(200, headers);
      res.end(JSON.stringify({ overall: 'healthy', services: {}, timestamp: Date.now() }));
    } else {
      res.writeHead(404, headers);
      res.end('{"error":"not found"}');
    }
  });
}

/** An ELBv2 Query endpoint that answers every call with one AWS error. */
export function elbv2Error(code: string, status: number, message: string): Promise<Local> {
  return httpServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/xml' });
    res.end(
      `<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>`,
    );
  });
}

/** A real redis-server on a free port (no persistence), optionally with --requirepass. */
export async function redisServer(opts: { password?: string } = {}): Promise<Local> {
  const bin = findBinary('redis-server');
  if (!bin) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const port = await closedPort();
  const dir = mkdtempSync(join(tmpdir(), 'parity-redis-'));
  const args = redisArgs(port, dir);
  if (opts.password) args.push('--requirepass', opts.password);
  const child = spawn(bin, args, { stdio: 'ignore' });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready once it accepts a connection.
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      }).on('error', () => resolve(false));
    });
    if (up) break;
    if (i >= 50 || child.exitCode !== null) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, url: `redis://127.0.0.1:${port}`, hits: [], close: stop };
}
