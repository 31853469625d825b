import { stickyCookie, stickyPinning, stickySpread } from '../src/checks/sticky.js';
import { checkTest } from '../src/suite.js';

checkTest(stickyCookie);
checkTest(stickyPinning.id, (ctx) => stickyPinning(ctx, { requests: 20 }));
checkTest(stickySpread.id, (ctx) => stickySpread(ctx, { clients: 16 }));
