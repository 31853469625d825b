import { describeTargetHealth } from '../src/aws/target-health.js';
import { targetsReachable, targetsRegistered } from '../src/checks/targets.js';
import { checkTest } from '../src/suite.js';

checkTest(targetsReachable);
checkTest(targetsRegistered.id, (ctx) => targetsRegistered(ctx, describeTargetHealth));
