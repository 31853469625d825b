import { appendFileSync } from 'node:fs';
const m = (l) => appendFileSync('/tmp/p2/x.log', `${(performance.timeOrigin + performance.now()).toFixed(0)} ${l}\n`);
m('node started (now)');
const { createVitest } = await import('vitest/node');
m('vitest loaded');
const file = '/work/wt-perf2/node_modules/.cache/parity/p2x/x.test.mjs';
const v = await createVitest('test', { config: false, root: process.cwd(), include: [file], exclude: [], watch: false, reporters: [{}], pool: 'threads', maxWorkers: 1, fileParallelism: false, isolate: false,
  server: { deps: { external: [/\/node_modules\/\.cache\/parity\//] } }, ...(process.env.EXP ? JSON.parse(process.env.EXP) : {}) }, { logLevel: 'silent', server: { watch: null } });
m('created');
await v.start([file]);
m('done');
await v.close();
m('closed');
process.exit(0);
