import { healthAlb } from '../src/checks/health.js';
import { checkTest } from '../src/suite.js';

checkTest(healthAlb);
