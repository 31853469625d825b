// The EC2 plane (docs/ec2.md): instances reachable only through the ALB, the same build on
// every instance. One read of EC2 serves both checks. The collector (and its SDK, a large
// module) is loaded only when a check reads EC2: environments without aws config skip.
import { instancesSameBuild } from '../src/checks/instances.js';
import { networkAlbOnly } from '../src/checks/network.js';
import type { TargetContext } from '../src/contract/target.js';
import type { Ec2Plane } from '../src/contract/ec2.js';
import { tcpConnect } from '../src/net/tcp.js';
import { checkTest } from '../src/suite.js';

let read: Promise<Ec2Plane> | undefined;
const plane = (ctx: TargetContext) => () =>
  (read ??= import('../src/aws/ec2-collect.js').then((m) => m.describeEc2Plane(ctx)));

checkTest('network.alb-only', (ctx) => networkAlbOnly(ctx, plane(ctx), tcpConnect));
checkTest('instances.same-build', (ctx) => instancesSameBuild(ctx, plane(ctx)));
