import { deployConsistency } from '../src/checks/deploy.js';
import { checkTest, currentConvergence } from '../src/suite.js';

checkTest(deployConsistency.id, (ctx) => deployConsistency(ctx, { convergence: currentConvergence() }));
