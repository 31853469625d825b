import type { Command } from 'commander';
import type { LoadOpts } from './load-run.js';

// Every CLI start registers these commands (--help lists them); the driver (autocannon, HDR
// histograms) and the rest of the work are imported only when a load command runs.
const run = () => import('./load-run.js');

export function registerLoad(program: Command): void {
  const load = program
    .command('load')
    .description(
      'load the ALB and check how requests spread over the instances (load.distribution, load.sticky)',
    )
    .option('--config <file>', 'parity config (default: parity.config.yaml, else the embedded lab)')
    .option('--env <name>', 'environment to load', 'staging')
    .option('--connections <n>', 'concurrent connections, 1-1000 (default: load.connections)')
    .option('--duration <s>', 'how long, e.g. 20, 20s, 2m; at most 600 s (default: load.duration)')
    .option(
      '--rate <r>',
      'requests per second over all connections (a fixed rate), or all-out (default: load.rate)',
    )
    .option('--sticky', 'virtual clients that keep their sticky cookie (load.sticky)')
    .option('--json', 'print one JSON object')
    .option('--shard <i/n>', 'run shard I of N (its share of the connections); needs --out')
    .option('--out <file>', 'write counts and HDR histograms for "parity load merge"')
    .option('--allow-production-load', 'allow load against a role: production environment')
    .action(async (opts: LoadOpts) => {
      process.exitCode = await (await run()).loadCommand(opts);
    });

  load
    .command('merge <parts...>')
    .description('merge shard files into one result: summed counts, merged percentiles, the checks')
    .option('--json', 'print one JSON object')
    .action(async (parts: string[], opts: { json?: boolean }) => {
      process.exitCode = await (await run()).mergeCommand(parts, opts);
    });
}
