// instances.same-build: every instance behind the ALB runs the same AMI and instance type, and
// EC2 says each is running (the plan: the same OS, packages and configuration everywhere).
import type { Ec2Plane, InstanceView } from '../contract/ec2.js';
import { timed, type CheckResultOf } from '../contract/result.js';
import type { EvidenceById } from '../contract/evidence.js';
import type { TargetContext } from '../contract/target.js';

/** "i-0a… → chatmrpt-app-1.4.2 (ami-0…), t3.medium, running" */
function instanceLine(i: InstanceView): string {
  const ami = i.imageName
    ? `${i.imageName} (${i.imageId ?? '?'})`
    : `${i.imageId ?? 'unknown AMI'} (name unknown)`;
  return `${i.id} → ${ami}, ${i.type ?? 'unknown type'}, ${i.state}`;
}

export function instancesSameBuild(
  ctx: TargetContext,
  plane: () => Promise<Ec2Plane>,
): Promise<CheckResultOf<'instances.same-build'>> {
  return timed('instances.same-build', ctx.name, async () => {
    if (!ctx.env.aws) {
      return {
        status: 'skip',
        diagnosis: `environment ${ctx.name} has no aws config: instances not checked`,
        evidence: {},
      };
    }
    const p = await plane();
    const list = p.instances;
    const evidence: EvidenceById['instances.same-build'] = {
      loadBalancer: p.loadBalancer,
      instances: list.map((i) => ({
        id: i.id,
        imageId: i.imageId ?? null,
        imageName: i.imageName ?? null,
        type: i.type ?? null,
        state: i.state,
        platform: i.platform ?? null,
      })),
      missing: p.missing,
    };
    if (!list.length && !p.missing.length) {
      return {
        status: 'skip',
        diagnosis: `${p.loadBalancer}: no registered instance targets`,
        evidence,
      };
    }
    const amis = [...new Set(list.map((i) => i.imageId ?? '?'))];
    const types = [...new Set(list.map((i) => i.type ?? '?'))];
    const stopped = list.filter((i) => i.state !== 'running');
    const causes: string[] = [];
    if (p.missing.length) {
      causes.push(
        `EC2 has no instance ${p.missing.join(', ')} (registered in ${p.loadBalancer}'s target group)`,
      );
    }
    if (amis.length > 1) causes.push(`different AMIs (${amis.length})`);
    if (types.length > 1) causes.push(`different instance types (${types.join(', ')})`);
    if (stopped.length) causes.push(`not running: ${stopped.map((i) => `${i.id} ${i.state}`).join(', ')}`);
    const listing = list.map(instanceLine).join('; ');
    if (causes.length) return { status: 'fail', diagnosis: `${causes.join('; ')}: ${listing}`, evidence };
    return {
      status: 'pass',
      diagnosis: `${list.length} instances on one AMI and type, all running: ${listing}`,
      evidence,
    };
  });
}
