import { describeInstanceStates } from '../src/aws/ec2-collect.js';
import { describeTargetHealth } from '../src/aws/target-health.js';
import { targetsReachable, targetsRegistered } from '../src/checks/targets.js';
import { checkTest } from './support.js';

checkTest('targets.reachable', (ctx) => targetsReachable(ctx, describeTargetHealth));
checkTest('targets.registered', (ctx) =>
  targetsRegistered(ctx, describeTargetHealth, describeInstanceStates),
);
