import { deployConsistency } from '../src/checks/deploy.js';
import { checkTest } from './support.js';

checkTest('deploy.consistency', deployConsistency);
