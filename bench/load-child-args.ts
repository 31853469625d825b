// bench/load-child.ts's command line, for the benches that run it (load.ts, load-profile.ts).
import { join } from 'node:path';
import { PROJECT_ROOT, tsNodeArgs } from '../src/paths.js';

export interface LoadChildSpec {
  mode: 'parity' | 'bare' | 'bare-capped';
  url: string;
  connections: number;
  seconds: number;
  /** Seconds of unmeasured load first, to warm the JIT up. */
  warmup: number;
  /** HAProxy's stats socket: the child reports HAProxy's counts over its run. */
  socket?: string;
  rate?: number;
  /** perf's control and ack fifos: the child switches perf record on for its measured run only. */
  perfCtl?: [string, string];
}

/** Node's arguments that run bench/load-child.ts with `spec`. */
export const loadChildArgs = ({
  mode,
  url,
  connections,
  seconds,
  warmup,
  socket,
  rate,
  perfCtl,
}: LoadChildSpec) => [
  ...tsNodeArgs(join(PROJECT_ROOT, 'bench/load-child.ts')),
  ...[mode, url, String(connections), String(seconds), '--warmup', String(warmup)],
  ...(socket ? ['--socket', socket] : []),
  ...(rate ? ['--rate', String(rate)] : []),
  ...(perfCtl ? ['--perf-ctl', perfCtl.join(',')] : []),
];
