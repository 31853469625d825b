import { describe, expect, it } from 'vitest';
import { haproxyConfig, matcherRule } from '../src/lab/haproxy-config.js';
import { applyFaults } from '../src/lab/faults.js';
import { deepMerge, loadTopology } from '../src/lab/topology.js';

const ports = {
  frontendPort: 8080,
  socketPath: '/tmp/x.sock',
  instancePorts: { 'i-0a57a91e0000000a1': 9001, 'i-0a57a91e0000000b2': 9002 },
};
const staging = () => loadTopology().environments.staging;
const serverLines = (cfg: string) => cfg.split('\n').filter((l) => l.trim().startsWith('server '));

describe('topology → HAProxy config', () => {
  it('balances round robin over both targets with AWSALB duration stickiness and the health check', () => {
    const cfg = haproxyConfig(staging(), ports);
    expect(cfg).toContain('bind 127.0.0.1:8080');
    expect(cfg).toContain('balance roundrobin');
    // The ALB's cookie: a new opaque value on every answer, Expires in 7 days, AWSALBCORS too.
    expect(cfg).not.toMatch(/^\s*cookie /m);
    expect(cfg).not.toContain('Max-Age');
    expect(cfg).toContain('http-response set-var(txn.alb_n) rand(2147483647)');
    expect(cfg).toContain('http-response set-var(txn.alb_exp) date(86400),xor(txn.alb_n)');
    expect(cfg).toContain('"%[date(604800),http_date]"');
    expect(cfg).toContain('Set-Cookie "AWSALB=%[var(txn.alb)]; Expires=%[var(txn.alb_expires)]; Path=/"');
    expect(cfg).toContain(
      'Set-Cookie "AWSALBCORS=%[var(txn.alb)]; Expires=%[var(txn.alb_expires)]; Path=/; SameSite=None; Secure"',
    );
    expect(cfg).toMatch(/use-server i-0a57a91e0000000b2 if \{ var\(txn\.alb_srv\) -m int 2 \}/);
    // The ALB retries nothing (HAProxy's default is 3 retries, so the 0 must be explicit).
    expect(cfg).toMatch(/^\s*retries 0$/m);
    expect(cfg).not.toMatch(/redispatch|retry-on/);
    expect(cfg).toContain('option httpchk GET /health');
    expect(cfg).toContain('http-check expect status 200');
    expect(cfg).toContain('timeout client 60s');
    expect(cfg).toContain('stats socket /tmp/x.sock');
    expect(serverLines(cfg)).toEqual([
      '  server i-0a57a91e0000000a1 127.0.0.1:9001 id 1 check inter 5s fastinter 1s rise 2 fall 2 weight 1',
      '  server i-0a57a91e0000000b2 127.0.0.1:9002 id 2 check inter 5s fastinter 1s rise 2 fall 2 weight 1',
    ]);
  });

  it('is deterministic', () => {
    expect(haproxyConfig(staging(), ports)).toBe(haproxyConfig(staging(), ports));
  });

  it('drops the cookie when stickiness is off', () => {
    const topo = applyFaults(loadTopology(), ['no-sticky']).environments.staging;
    const cfg = haproxyConfig(topo, ports);
    expect(cfg).not.toContain('AWSALB');
    expect(cfg).not.toContain('use-server');
  });

  it('follows duration, health check path, idle timeout, weights and registration from the topology', () => {
    const t = loadTopology();
    expect(haproxyConfig(applyFaults(t, ['sticky-duration']).environments.staging, ports)).toContain(
      'date(3600),xor(txn.alb_n)',
    );
    expect(haproxyConfig(applyFaults(t, ['healthcheck-path']).environments.staging, ports)).toContain(
      'option httpchk GET /ping',
    );
    const idle = haproxyConfig(applyFaults(t, ['idle-timeout']).environments.staging, ports);
    expect(idle).toContain('timeout client 30s');
    expect(idle).toContain('timeout http-keep-alive 30s');
    const weights = serverLines(
      haproxyConfig(applyFaults(t, ['uneven-weights']).environments.staging, ports),
    );
    expect(weights.map((l) => l.match(/weight (\d+)/)?.[1])).toEqual(['4', '1']);
    const single = serverLines(
      haproxyConfig(applyFaults(t, ['single-instance']).environments.staging, ports),
    );
    expect(single).toHaveLength(1);
  });

  it('leaves production alone when a fault targets staging', () => {
    const t = loadTopology();
    expect(applyFaults(t, ['no-sticky']).environments.production).toEqual(t.environments.production);
  });

  it('turns ELBv2 matchers into HAProxy rules', () => {
    expect(matcherRule('200')).toBe('status 200');
    expect(matcherRule('200,302')).toBe('rstatus ^(200|302)$');
    expect(matcherRule('200-202')).toBe('rstatus ^(200|201|202)$');
  });
});

describe('deepMerge', () => {
  it('merges lists element by element and deletes with null', () => {
    expect(deepMerge({ a: [{ x: 1 }, { x: 2 }], b: 1 }, { a: [{}, { y: 3 }], b: null })).toEqual({
      a: [{ x: 1 }, { x: 2, y: 3 }],
    });
  });

  it('rejects an unknown fault with the list of known ones', () => {
    expect(() => applyFaults(loadTopology(), ['nope'])).toThrow(
      /unknown fault "nope"; known: single-instance/,
    );
  });
});
