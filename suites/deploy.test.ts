import { deployConsistency } from '../src/checks/deploy.js';
import { checkTest, currentConvergence } from './support.js';

checkTest('deploy.consistency', (ctx) => deployConsistency(ctx, { convergence: currentConvergence() }));
