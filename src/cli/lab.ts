import type { Command } from 'commander';
import type { labJson as LabJson } from '../lab/lab-config.js';
import { UsageError } from '../errors.js';
import { note, printJson } from './output.js';

// Every CLI start registers these commands (--help lists them): the lab's modules are
// imported only when a lab command runs.
const lab = async () => ({ ...(await import('../lab/lab.js')), ...(await import('../lab/lab-config.js')) });
const faultCatalog = () => import('../lab/faults.js');

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerLab(program: Command): void {
  const cmd = program.command('lab').description('the embedded lab: staging + production on this machine');

  cmd
    .command('up')
    .description('start both environments (HAProxy as the ALB, two app instances, Redis)')
    .option('--fault <name>', 'start with a fault applied (repeatable; see "parity lab faults")', collect, [])
    .option('--install', 'install missing haproxy/redis-server with apt-get (root; the default)')
    .option('--no-install', 'never install them (also PARITY_NO_INSTALL=1): print the command instead')
    .option('--json', 'print the lab JSON')
    .action(async (opts: { fault: string[]; install?: boolean; json?: boolean }) => {
      (await import('../lab/binaries.js')).applyInstallFlag(opts.install);
      const { labUp, labJson } = await lab();
      const state = await labUp({ faults: opts.fault, log: note });
      if (opts.json) printJson(labJson(state));
      else printHuman(labJson(state), state.faults);
    });

  cmd
    .command('down')
    .description('stop every lab process (by pid) and remove its state')
    .action(async () => {
      const { stopped } = await (await lab()).labDown();
      note(stopped ? `lab down: stopped ${stopped} processes` : 'lab down: nothing was running');
    });

  cmd
    .command('status')
    .description('is the lab running, and where')
    .option('--json', 'print the lab JSON')
    .action(async (opts: { json?: boolean }) => {
      const { labStatus, labJson } = await lab();
      const s = labStatus();
      // No lab is a state, not an error (exit 0, "state": "not-running"); a stale lab (a
      // process gone) is one to clean up (exit 1, "state": "stale"). docs/lab.md.
      if (!s.state) {
        if (opts.json) printJson({ state: 'not-running', running: false, environments: {} });
        else note(`lab: not running (${s.dir})`);
        return;
      }
      const state = s.running ? 'running' : 'stale';
      if (opts.json)
        printJson({ state, running: s.running, ...labJson(s.state), faults: s.state.faults, dead: s.dead });
      else {
        if (!s.running)
          note(`lab: stale (${s.dead.length} processes gone); run "parity lab down" to clean up`);
        printHuman(labJson(s.state), s.state.faults);
      }
      if (!s.running) process.exitCode = 1;
    });

  cmd
    .command('fault <name>')
    .description('apply a fault to the running lab')
    .action(async (name: string) => {
      const state = await (await lab()).labFault(name);
      note(`fault ${name} applied; active faults: ${state.faults.join(', ')}`);
    });

  cmd
    .command('deploy')
    .description(
      "rolling deploy of the lab's staging instances, one at a time: deregister, drain, restart at the version, register, wait until healthy",
    )
    .requiredOption('--version <version>', 'the version the instances run afterwards, e.g. 1.5.0')
    .option('--no-drain', "restart each instance in place without taking it out (as ChatMRPT's script does)")
    .action(async (opts: { version: string; drain: boolean }) => {
      if (!opts.version.trim()) throw new UsageError('--version: must not be empty');
      const [{ labDeploy }, { defaultLabDir }] = await Promise.all([
        import('../lab/deploy.js'),
        import('../paths.js'),
      ]);
      const out = await labDeploy({
        dir: defaultLabDir(),
        version: opts.version.trim(),
        // --no-drain forces it; without the flag the lab's topology decides (fault restart-no-drain).
        drain: opts.drain === false ? false : undefined,
        log: note,
      });
      const runs = Object.entries(out.versions)
        .map(([id, v]) => `${id} ${v}`)
        .join(', ');
      if (out.rolledBack) {
        note(`lab deploy: ROLLED BACK (${out.rolledBack}); now ${runs}`);
        process.exitCode = 1;
      } else note(`lab deploy: done; now ${runs}`);
    });

  cmd
    .command('selftest')
    .description(
      'prove the suite: each fault caught by its declared checks, then clean smoke runs that all pass',
    )
    .option('--fault <name>', 'only this fault (repeatable)', collect, [])
    .option('--clean-runs <n>', 'consecutive clean smoke runs', '10')
    .action(async (opts: { fault: string[]; cleanRuns: string }) => {
      const [{ findFault, loadFaults }, { cleanRuns, formatMatrix, selftestFault }] = await Promise.all([
        faultCatalog(),
        import('../selftest/selftest.js'),
      ]);
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

  cmd
    .command('faults')
    .description('list the fault catalog')
    .action(async () => {
      for (const f of (await faultCatalog()).loadFaults()) {
        process.stdout.write(
          `${f.name.padEnd(18)} ${f.env.padEnd(10)} ${f.summary} (fails: ${f.fails.join(', ')})\n`,
        );
      }
    });
}

function printHuman(json: ReturnType<typeof LabJson>, faults: string[]): void {
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
