import { deployConsistency } from '../src/checks/deploy.js';
import { checkTest } from '../src/suite.js';

checkTest(deployConsistency);
