import { isIP, Socket } from 'node:net';
import type { TcpOutcome } from '../contract/ec2.js';

// A bounded TCP connect, for network.alb-only's data-plane probe of instances' public
// addresses. It sends nothing: a completed handshake is the whole answer. It refuses private
// and link-local addresses outright (they are never probed), and anything that is not an IP.

const PRIVATE_V4: [number, number][] = [
  [0x0a000000, 8], // 10/8
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
  [0x64400000, 10], // 100.64/10 (carrier-grade NAT)
  [0xa9fe0000, 16], // 169.254/16 (link-local, instance metadata)
  [0x00000000, 8], // 0/8
];

function v4(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** Private, link-local or unspecified: an address the probe must never touch. */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const n = v4(ip);
    return PRIVATE_V4.some(
      ([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(base / 2 ** (32 - bits)),
    );
  }
  if (isIP(ip) === 6) {
    const low = ip.toLowerCase();
    return /^f[cd]/.test(low) || /^fe[89ab]/.test(low) || low === '::';
  }
  return false;
}

/** Connect to ip:port within timeoutMs; the socket is closed at once either way. */
export function tcpConnect(ip: string, port: number, timeoutMs: number): Promise<TcpOutcome> {
  if (!isIP(ip)) return Promise.reject(new Error(`refused: ${ip} is not an IP address`));
  if (isPrivateAddress(ip)) return Promise.reject(new Error(`refused: ${ip} is a private address`));
  return new Promise((resolve) => {
    const socket = new Socket();
    let done = false;
    const finish = (outcome: TcpOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.once('connect', () => finish('open'));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish(err.code === 'ECONNREFUSED' ? 'refused' : 'unreachable'),
    );
    socket.connect({ host: ip, port });
  });
}
