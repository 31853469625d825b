import type { EnvTopology } from './topology.js';

export interface HaproxyPorts {
  /** The "ALB" listener. */
  frontendPort: number;
  /** Runtime API socket (stats, health, weights). */
  socketPath: string;
  /** Instance id → port of its app process. */
  instancePorts: Record<string, number>;
}

// AWS sets the AWSALB cookie to expire in 7 days whatever the configured duration; the
// duration itself lives in the target group attribute (docs/lab.md: what the lab mirrors of the real ALB).
const ALB_COOKIE_EXPIRES = 7 * 24 * 3600;

/**
 * HAProxy configuration that behaves like an ALB for the given topology: round robin,
 * duration-based `AWSALB` stickiness (+ `AWSALBCORS`), target health checks, idle timeout,
 * and no retry of any kind (an ALB answers a failed target's request with an error).
 * Pure: the same topology always gives the same text.
 */
export function haproxyConfig(topo: EnvTopology, ports: HaproxyPorts): string {
  const tg = topo.targetGroup;
  const hc = tg.healthCheck;
  const sticky = tg.stickiness;
  const idle = topo.loadBalancer.idleTimeoutSeconds;
  const balance = tg.algorithm === 'least_outstanding_requests' ? 'leastconn' : 'roundrobin';
  const servers = topo.instances
    .map((inst, i) => ({ inst, id: i + 1 }))
    .filter(({ inst }) => inst.registered);
  const lines = [
    'global',
    `  stats socket ${ports.socketPath} mode 600 level admin`,
    '  maxconn 4096',
    '',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  timeout connect 2s',
    `  timeout client ${idle}s`,
    `  timeout http-keep-alive ${idle}s`,
    '  timeout server 60s',
    '  timeout check ' + hc.timeoutSeconds + 's',
    // The ALB retries nothing and never re-sends a request elsewhere: a refused or cut target
    // connection is that client's error. HAProxy retries 3 times by default, hence the 0.
    '  retries 0',
    '',
    'frontend alb',
    `  bind 127.0.0.1:${ports.frontendPort}`,
    '  default_backend tg',
    '',
    'backend tg',
    `  balance ${balance}`,
  ];
  if (sticky.enabled) lines.push(...stickyRules(servers, sticky.durationSeconds));
  lines.push(`  option httpchk GET ${hc.path}`, `  http-check expect ${matcherRule(hc.matcher)}`);
  const check = `check inter ${hc.intervalSeconds}s fastinter 1s rise ${hc.healthyThreshold} fall ${hc.unhealthyThreshold}`;
  for (const { inst, id } of servers) {
    const port = ports.instancePorts[inst.id];
    if (port === undefined) throw new Error(`no port for instance ${inst.id}`);
    lines.push(`  server ${inst.id} 127.0.0.1:${port} id ${id} ${check} weight ${inst.weight}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Duration stickiness the way the ALB does it, without HAProxy's `cookie` (whose value is the
 * server's name, stable, with Max-Age): on every answer a cookie whose value is opaque and new
 * (base64 of a random nonce, the server's id and the stickiness expiry, both XORed with the
 * nonce), `Expires` in 7 days, the same value in `AWSALBCORS` (SameSite=None; Secure). A request
 * whose cookie decodes to a usable server before its expiry goes there (`use-server` skips a
 * server that is down or in maintenance: then the balancer picks another and the answer's
 * cookie pins to it, as the ALB re-pins); anything else is balanced as new.
 */
function stickyRules(servers: { inst: { id: string }; id: number }[], durationSeconds: number): string[] {
  const fresh = '{ var(txn.alb_exp),neg,add(txn.alb_now) -m int lt 0 }';
  return [
    '  http-request set-var(txn.alb) req.cook(AWSALB),b64dec if { req.cook(AWSALB) -m found }',
    '  http-request set-var(txn.alb) req.cook(AWSALBCORS),b64dec if !{ var(txn.alb) -m found } { req.cook(AWSALBCORS) -m found }',
    '  http-request set-var(txn.alb_n) var(txn.alb),field(1,.) if { var(txn.alb) -m found }',
    '  http-request set-var(txn.alb_srv) var(txn.alb),field(2,.),xor(txn.alb_n) if { var(txn.alb_n) -m found }',
    '  http-request set-var(txn.alb_exp) var(txn.alb),field(3,.),xor(txn.alb_n) if { var(txn.alb_n) -m found }',
    '  http-request set-var(txn.alb_now) date',
    ...servers.map(({ inst, id }) => `  use-server ${inst.id} if { var(txn.alb_srv) -m int ${id} } ${fresh}`),
    '  http-response set-var(txn.alb_n) rand(2147483647)',
    `  http-response set-var(txn.alb_exp) date(${durationSeconds}),xor(txn.alb_n)`,
    '  http-response set-var(txn.alb_srv) srv_id,xor(txn.alb_n)',
    '  http-response set-var-fmt(txn.alb) "%[var(txn.alb_n)].%[var(txn.alb_srv)].%[var(txn.alb_exp)]"',
    '  http-response set-var(txn.alb) var(txn.alb),base64',
    `  http-response set-var-fmt(txn.alb_expires) "%[date(${ALB_COOKIE_EXPIRES}),http_date]"`,
    '  http-response add-header Set-Cookie "AWSALB=%[var(txn.alb)]; Expires=%[var(txn.alb_expires)]; Path=/"',
    '  http-response add-header Set-Cookie "AWSALBCORS=%[var(txn.alb)]; Expires=%[var(txn.alb_expires)]; Path=/; SameSite=None; Secure"',
  ];
}

/** ELBv2 matcher ("200", "200,302", "200-299") as an HAProxy http-check rule. */
export function matcherRule(matcher: string): string {
  if (/^\d{3}$/.test(matcher)) return `status ${matcher}`;
  const codes = matcher.split(',').flatMap((part) => {
    const [lo, hi] = part.split('-').map(Number);
    if (hi === undefined) return [lo];
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  });
  return `rstatus ^(${codes.join('|')})$`;
}
