import { stickyCookie, stickyPinning, stickySpread } from '../src/checks/sticky.js';
import { checkTest } from './support.js';

checkTest('sticky.cookie', stickyCookie);
checkTest('sticky.pinning', (ctx) => stickyPinning(ctx, { requests: 20 }));
checkTest('sticky.spread', (ctx) => stickySpread(ctx, { clients: 16 }));
