import type { Command } from 'commander';
import { applyInstallFlag } from '../lab/binaries.js';
import { findFault, loadFaults } from '../lab/faults.js';
import { cleanRuns, formatMatrix, selftestFault } from '../selftest/selftest.js';
import { labJson } from '../lab/lab-config.js';
import { labDown, labFault, labStatus, labUp } from '../lab/lab.js';
import { note, printJson } from './output.js';

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerLab(program: Command): void {
  const lab = program.command('lab').description('the embedded lab: staging + production on this machine');

  lab
    .command('up')
    .description('start both environments (HAProxy as the ALB, two app instances, Redis)')
    .option('--fault <name>', 'start with a fault applied (repeatable; see "parity lab faults")', collect, [])
    .option('--install', 'install missing haproxy/redis-server with apt-get (root; the default)')
    .option('--no-install', 'never install them (also PARITY_NO_INSTALL=1): print the command instead')
    .option('--json', 'print the lab JSON')
    .action(async (opts: { fault: string[]; install?: boolean; json?: boolean }) => {
      applyInstallFlag(opts.install);
      const state = await labUp({ faults: opts.fault, log: note });
      if (opts.json) printJson(labJson(state));
      else printHuman(labJson(state), state.faults);
    });

  lab
    .command('down')
    .description('stop every lab process (by pid) and remove its state')
    .action(async () => {
      const { stopped } = await labDown();
      note(stopped ? `lab down: stopped ${stopped} processes` : 'lab down: nothing was running');
    });

  lab
    .command('status')
    .description('is the lab running, and where')
    .option('--json', 'print the lab JSON')
    .action((opts: { json?: boolean }) => {
      const s = labStatus();
      if (!s.state) {
        if (opts.json) printJson({ running: false, environments: {} });
        else note('lab: not running');
        process.exitCode = 1;
        return;
      }
      if (opts.json)
        printJson({ running: s.running, ...labJson(s.state), faults: s.state.faults, dead: s.dead });
      else {
        if (!s.running)
          note(`lab: stale (${s.dead.length} processes gone); run "parity lab down" to clean up`);
        printHuman(labJson(s.state), s.state.faults);
      }
      if (!s.running) process.exitCode = 1;
    });

  lab
    .command('fault <name>')
    .description('apply a fault to the running lab')
    .action(async (name: string) => {
      const state = await labFault(name);
      note(`fault ${name} applied; active faults: ${state.faults.join(', ')}`);
    });

  lab
    .command('selftest')
    .description(
      'prove the suite: each fault caught by its declared checks, then clean smoke runs that all pass',
    )
    .option('--fault <name>', 'only this fault (repeatable)', collect, [])
    .option('--clean-runs <n>', 'consecutive clean smoke runs', '10')
    .action(async (opts: { fault: string[]; cleanRuns: string }) => {
      const catalog = loadFaults();
      const faults = opts.fault.length ? opts.fault.map((n) => findFault(n, catalog)) : catalog;
      const outcomes = [];
      let problems = 0;
      for (const fault of faults) {
        note(`selftest: ${fault.name} (expects ${fault.fails.join(', ')} to fail)`);
        const o = await selftestFault(fault);
        for (const p of o.problems) note(`  PROBLEM ${p}`);
        problems += o.problems.length;
        outcomes.push(o);
      }
      process.stdout.write(formatMatrix(outcomes, catalog));
      const n = Number(opts.cleanRuns);
      if (n > 0) {
        const runs = await cleanRuns(n);
        const bad = runs.filter((checks) => checks.some((c) => c.status !== 'pass'));
        process.stdout.write(`clean smoke runs: ${runs.length - bad.length} of ${runs.length} passed\n`);
        problems += bad.length;
      }
      process.exitCode = problems ? 1 : 0;
    });

  lab
    .command('faults')
    .description('list the fault catalog')
    .action(() => {
      for (const f of loadFaults()) {
        process.stdout.write(
          `${f.name.padEnd(18)} ${f.env.padEnd(10)} ${f.summary} (fails: ${f.fails.join(', ')})\n`,
        );
      }
    });
}

function printHuman(json: ReturnType<typeof labJson>, faults: string[]): void {
  for (const [name, env] of Object.entries(json.environments) as [
    string,
    { url: string; instances: { id: string; url: string }[]; redis: string },
  ][]) {
    process.stdout.write(`${name.padEnd(11)} ${env.url}  redis ${env.redis}\n`);
    for (const i of env.instances) process.stdout.write(`  ${i.id}  ${i.url}\n`);
  }
  if (faults.length) process.stdout.write(`faults: ${faults.join(', ')}\n`);
  if (json.config) process.stdout.write(`config: ${json.config}\n`);
}
