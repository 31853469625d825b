// The AWS collector against recorded-shape ELBv2 XML (fixtures/aws), served over HTTP to the
// real SDK client: pagination, retries on throttling, and one-line errors.
import { describe, expect, it } from 'vitest';
import { collectAws } from '../src/aws/collect.js';
import { describeTargetHealth } from '../src/aws/target-health.js';
import { CannotRunError } from '../src/errors.js';
import { awsSample } from '../src/fingerprint/aws.js';
import { normalizeFields } from '../src/fingerprint/normalize.js';
import { productionContext, useAwsFixtures } from './helpers/aws-fixtures.js';

const TG1 = 'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/chatmrpt-tg/73e2d6bc24d8a067';
const L443 =
  'arn:aws:elasticloadbalancing:us-east-2:123456789012:listener/app/chatmrpt-alb/50dc6c495c0c9188/0467ef3c8400ae65';

function route(p: URLSearchParams): string {
  const action = p.get('Action');
  const marker = p.has('Marker') ? 'page2' : 'page1';
  const tgName = (arn: string | null) => arn?.split('/')[1];
  switch (action) {
    case 'DescribeLoadBalancers':
      return p.get('Names.member.1') === 'chatmrpt-alb'
        ? 'DescribeLoadBalancers.xml'
        : 'error.LoadBalancerNotFound.xml';
    case 'DescribeListeners':
    case 'DescribeTargetGroups':
      return `${action}.${marker}.xml`;
    case 'DescribeRules':
      return p.get('ListenerArn') === L443 ? `DescribeRules.https.${marker}.xml` : 'DescribeRules.http.xml';
    case 'DescribeTargetGroupAttributes':
    case 'DescribeTargetHealth':
      return `${action}.${tgName(p.get('TargetGroupArn'))}.xml`;
    default:
      return `${action}.xml`;
  }
}

const fx = useAwsFixtures(route, 'text/xml');
const { requests, queue } = fx;
const ctx = (aws: Record<string, string> = {}) => productionContext({ endpoint: fx.endpoint, ...aws });

const actions = () => requests.map((r) => r.get('Action'));

describe('collectAws', () => {
  it('describes the load balancer, following every page', async () => {
    const snap = await collectAws(ctx());
    expect(snap.loadBalancer.LoadBalancerName).toBe('chatmrpt-alb');
    expect(snap.attributes['idle_timeout.timeout_seconds']).toBe('60');
    expect(snap.listeners.map((l) => `${l.listener.Protocol}:${l.listener.Port}`)).toEqual([
      'HTTP:80',
      'HTTPS:443',
    ]);
    const https = snap.listeners[1];
    expect(https.rules.map((r) => r.Priority)).toEqual(['10', 'default']);
    expect(snap.targetGroups.map((g) => g.targetGroup.TargetGroupName)).toEqual([
      'chatmrpt-tg',
      'chatmrpt-api-tg',
    ]);
    expect(snap.targetGroups[0].attributes['stickiness.enabled']).toBe('true');
    expect(snap.targetGroups[0].health.map((h) => h.TargetHealth?.State)).toEqual(['unhealthy', 'healthy']);
    expect(snap.tags[TG1]).toEqual({ Name: 'chatmrpt-tg', Environment: 'production', Team: 'data-science' });

    // The second page was asked for with the first page's NextMarker.
    const tgCalls = requests.filter((r) => r.get('Action') === 'DescribeTargetGroups');
    expect(tgCalls.map((r) => r.get('Marker'))).toEqual([null, 'bWFya2VyLXRhcmdldC1ncm91cHMtMg']);
    const ruleCalls = requests.filter(
      (r) => r.get('Action') === 'DescribeRules' && r.get('ListenerArn') === L443,
    );
    expect(ruleCalls.map((r) => r.get('Marker'))).toEqual([null, 'bWFya2VyLXJ1bGVzLTI']);
    // Read-only: nothing but Describe* went out, all signed as version 2015-12-01.
    expect(actions().every((a) => a?.startsWith('Describe'))).toBe(true);
    expect(new Set(requests.map((r) => r.get('Version')))).toEqual(new Set(['2015-12-01']));
  });

  it('turns the snapshot into fields keyed by role, with no raw identifier left after normalization', async () => {
    const sample = awsSample(await collectAws(ctx()), 'production');
    const { fields, raw } = normalizeFields(sample.fields, sample.identifiers);
    expect(fields['listeners[HTTP:80].defaultActions[1].type']).toBe('redirect');
    expect(fields['listeners[HTTPS:443].defaultActions[1].targetGroup']).toBe('<tg:HTTP:5000>');
    expect(fields['listeners[HTTPS:443].rules[10].conditions']).toBe('path-pattern=/api/*');
    expect(fields['listeners[HTTPS:443].rules[10].actions[1].targetGroup']).toBe('<tg:HTTP:8000>');
    expect(fields['listeners[HTTPS:443].certificates']).toBe(1);
    expect(fields['targetGroups[HTTP:5000].targets.states']).toBe('healthy=1, unhealthy=1');
    expect(fields['targetGroups[HTTP:5000].targets.reasons']).toBe('Target.Timeout=1');
    expect(fields['targetGroups[HTTP:8000].targets.states']).toBe('draining=1');
    expect(fields['targetGroups[HTTP:8000].attributes.stickiness.enabled']).toBe('false');
    expect(fields['loadBalancer.tags.Environment']).toBe('<env>');
    expect(fields['loadBalancer.tags.Team']).toBe('data-science');
    expect(raw['loadBalancer.arn']).toMatch(
      /^arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer\//,
    );
    const text = JSON.stringify(fields);
    for (const leak of [
      /arn:aws/,
      /123456789012/,
      /\b(i|sg|subnet|vpc)-[0-9a-f]{8,}/,
      /chatmrpt-(alb|tg|api-tg)\b/,
    ]) {
      expect(text).not.toMatch(leak);
    }
  });
});

describe('describeTargetHealth', () => {
  it('lists every target of the load balancer, sorted, with state and reason', async () => {
    expect(await describeTargetHealth(ctx())).toEqual([
      { id: 'i-0376fade435676a01', port: 5000, state: 'healthy' },
      {
        id: 'i-0376fade435676a01',
        port: 8000,
        state: 'draining',
        reason: 'Target.DeregistrationInProgress',
        description: 'Target deregistration is in progress',
      },
      {
        id: 'i-0f76fade435676abd',
        port: 5000,
        state: 'unhealthy',
        reason: 'Target.Timeout',
        description: 'Request timed out',
      },
    ]);
  });
});

describe('errors', () => {
  it('retries throttling, then succeeds', async () => {
    queue.push([400, 'error.Throttling.xml'], [400, 'error.Throttling.xml']);
    const rows = await describeTargetHealth(ctx());
    expect(rows).toHaveLength(3);
    expect(actions().slice(0, 3)).toEqual([
      'DescribeLoadBalancers',
      'DescribeLoadBalancers',
      'DescribeLoadBalancers',
    ]);
  });

  it('a load balancer that does not exist is one line naming it and the config key', async () => {
    const err = await collectAws(ctx({ loadBalancerName: 'chatmrpt-staging-alb' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CannotRunError);
    expect((err as Error).message).toBe(
      'load balancer "chatmrpt-staging-alb" (environments.production.aws.loadBalancerName) not found in us-east-2',
    );
  });

  it('access denied names the action', async () => {
    queue.push([403, 'error.AccessDenied.xml']);
    const err = await collectAws(ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CannotRunError);
    expect((err as Error).message).toMatch(
      /^environments\.production\.aws \(us-east-2\): access denied to elasticloadbalancing:DescribeLoadBalancers \(AccessDenied\)/,
    );
    expect((err as Error).message).not.toContain('\n');
  });

  it('missing credentials (no env, no profile, no instance role) is one line, and nothing is sent', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    Object.assign(process.env, {
      AWS_CONFIG_FILE: '/nonexistent/parity-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/parity-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    try {
      // Not loopback, so the SDK's default chain is used (and finds nothing before any request).
      const c = ctx({ endpoint: 'https://elasticloadbalancing.us-east-2.amazonaws.com' });
      const err = await collectAws(c).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CannotRunError);
      expect((err as Error).message).toBe(
        'environments.production.aws (us-east-2): no AWS credentials found (tried env, profile, SSO, instance role)',
      );
    } finally {
      process.env = saved;
    }
    expect(requests).toHaveLength(0);
  });

  it('an unreachable endpoint is one line', async () => {
    const err = await describeTargetHealth(ctx({ endpoint: 'http://127.0.0.1:1' })).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'environments.production.aws (us-east-2): ELBv2 endpoint unreachable (ECONNREFUSED)',
    );
  });
});
