import { describeTargetHealth } from '../src/aws/target-health.js';
import { targetsReachable, targetsRegistered } from '../src/checks/targets.js';
import type { DescribeInstanceStates } from '../src/contract/ec2.js';
import { checkTest } from '../src/suite.js';

// EC2's view of the targets; its SDK is loaded only when there are targets to ask about.
const instanceStates: DescribeInstanceStates = async (ctx, ids) =>
  (await import('../src/aws/ec2-collect.js')).describeInstanceStates(ctx, ids);

checkTest(targetsReachable.id, (ctx) => targetsReachable(ctx, describeTargetHealth));
checkTest(targetsRegistered.id, (ctx) => targetsRegistered(ctx, describeTargetHealth, instanceStates));
