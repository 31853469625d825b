import { healthAlb } from '../src/checks/health.js';
import { checkTest } from './support.js';

checkTest('health.alb', healthAlb);
