import { describeTargetHealth } from '../src/aws/target-health.js';
import { targetsReachable, targetsRegistered } from '../src/checks/targets.js';
import { checkTest } from './support.js';

checkTest('targets.reachable', targetsReachable);
checkTest('targets.registered', (ctx) => targetsRegistered(ctx, describeTargetHealth));
