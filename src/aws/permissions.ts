// For `parity doctor`: are there AWS credentials, and may they make each Describe* call the
// suite makes? One call of each ELBv2 action parity uses, on the configured load balancer
// (the first listener and target group where an action needs one). Read-only like all else.
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type DescribeListenersOutput,
  type DescribeTargetGroupsOutput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { effectiveEndpoint } from '../config/aws-endpoints.js';
import { isLoopback } from '../config/loopback.js';
import { firstLine } from '../errors.js';
import type { TargetContext } from '../contract/target.js';
import { describe } from './call.js';
import { elbv2 } from './client.js';
import { findLoadBalancer } from './collect.js';

export interface PermissionProbe {
  /** Where the credentials come from, or why there are none. */
  credentials: { ok: boolean; source: string };
  /** One entry per Describe* action, in the order tried. */
  calls: { action: string; ok: boolean; error?: string }[];
}

export async function probeElbv2(ctx: TargetContext): Promise<PermissionProbe> {
  const e = elbv2(ctx);
  try {
    const aws = e.aws;
    const local = isLoopback(effectiveEndpoint(aws)) && aws.credentials !== 'chain';
    let credentials: PermissionProbe['credentials'];
    if (local) credentials = { ok: true, source: 'fixed local credentials (loopback endpoint)' };
    else {
      try {
        // Bounded: the default chain may ask an instance metadata service that never answers.
        const c = await Promise.race([
          e.client.config.credentials(),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error('no credentials found within 10 s')), 10_000).unref(),
          ),
        ]);
        const from = aws.profile
          ? `profile "${aws.profile}"`
          : process.env.AWS_PROFILE
            ? `profile "${process.env.AWS_PROFILE}"`
            : 'the default chain';
        credentials = { ok: true, source: `${from} (key ${c.accessKeyId.slice(0, 4)}…)` };
      } catch (err) {
        return { credentials: { ok: false, source: firstLine(err) }, calls: [] };
      }
    }
    const calls: PermissionProbe['calls'] = [];
    const attempt = async <T>(action: string, run: () => Promise<T>): Promise<T | undefined> => {
      try {
        const out = await run();
        calls.push({ action, ok: true });
        return out;
      } catch (err) {
        calls.push({ action, ok: false, error: firstLine(err) });
        return undefined;
      }
    };
    const lb = await attempt('DescribeLoadBalancers', () => findLoadBalancer(e));
    const lbArn = lb?.LoadBalancerArn;
    if (!lbArn) return { credentials, calls };
    await attempt('DescribeLoadBalancerAttributes', () =>
      describe(e, new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lbArn })),
    );
    const listeners = await attempt('DescribeListeners', () =>
      describe<DescribeListenersOutput>(e, new DescribeListenersCommand({ LoadBalancerArn: lbArn })),
    );
    const listenerArn = listeners?.Listeners?.[0]?.ListenerArn;
    if (listenerArn)
      await attempt('DescribeRules', () =>
        describe(e, new DescribeRulesCommand({ ListenerArn: listenerArn })),
      );
    const groups = await attempt('DescribeTargetGroups', () =>
      describe<DescribeTargetGroupsOutput>(e, new DescribeTargetGroupsCommand({ LoadBalancerArn: lbArn })),
    );
    const tgArn = groups?.TargetGroups?.[0]?.TargetGroupArn;
    if (tgArn) {
      await attempt('DescribeTargetGroupAttributes', () =>
        describe(e, new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tgArn })),
      );
      await attempt('DescribeTargetHealth', () =>
        describe(e, new DescribeTargetHealthCommand({ TargetGroupArn: tgArn })),
      );
    }
    await attempt('DescribeTags', () => describe(e, new DescribeTagsCommand({ ResourceArns: [lbArn] })));
    return { credentials, calls };
  } finally {
    e.client.destroy();
  }
}
