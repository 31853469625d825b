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
const ALB_COOKIE_MAX_AGE = 7 * 24 * 3600;

/**
 * HAProxy configuration that behaves like an ALB for the given topology: round robin,
 * duration-based `AWSALB` stickiness (+ `AWSALBCORS`), target health checks, idle timeout.
 * Pure: the same topology always gives the same text.
 */
export function haproxyConfig(topo: EnvTopology, ports: HaproxyPorts): string {
  const tg = topo.targetGroup;
  const hc = tg.healthCheck;
  const sticky = tg.stickiness;
  const idle = topo.loadBalancer.idleTimeoutSeconds;
  const balance = tg.algorithm === 'least_outstanding_requests' ? 'leastconn' : 'roundrobin';
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
    // A dead sticky target: pick another and re-issue the cookie, as the ALB does.
    '  option redispatch',
    '  retries 2',
    '',
    'frontend alb',
    `  bind 127.0.0.1:${ports.frontendPort}`,
    '  default_backend tg',
    '',
    'backend tg',
    `  balance ${balance}`,
  ];
  if (sticky.enabled) {
    // maxidle/maxlife append a date to the value, so it changes across responses like the ALB's.
    lines.push(
      `  cookie AWSALB insert indirect nocache maxidle ${sticky.durationSeconds}s maxlife ${sticky.durationSeconds}s attr "Max-Age=${ALB_COOKIE_MAX_AGE}"`,
      `  http-after-response add-header Set-Cookie "AWSALBCORS=%[res.cook(AWSALB)]; Path=/; Max-Age=${ALB_COOKIE_MAX_AGE}; SameSite=None; Secure" if { res.cook(AWSALB) -m found }`,
    );
  }
  lines.push(`  option httpchk GET ${hc.path}`, `  http-check expect ${matcherRule(hc.matcher)}`);
  const check = `check inter ${hc.intervalSeconds}s fastinter 1s rise ${hc.healthyThreshold} fall ${hc.unhealthyThreshold}`;
  for (const inst of topo.instances) {
    if (!inst.registered) continue;
    const port = ports.instancePorts[inst.id];
    if (port === undefined) throw new Error(`no port for instance ${inst.id}`);
    const cookie = sticky.enabled ? ` cookie ${inst.id}` : '';
    lines.push(`  server ${inst.id} 127.0.0.1:${port} ${check} weight ${inst.weight}${cookie}`);
  }
  return lines.join('\n') + '\n';
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
