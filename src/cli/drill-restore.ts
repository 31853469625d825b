// `parity drill --restore [--env NAME] [--config FILE]`: put back what failover drills of the
// environment left out (their pending-restore records in the state folder), RegisterTargets on
// role: staging only, into the recorded target group of that environment's load balancer.
import { pendingRestores } from '../aws/pending-restore.js';
import { targetContext } from '../contract/target.js';
import { findConfigFile } from '../config/load.js';
import type { ExitCode } from '../errors.js';
import { labStatus } from '../lab/status.js';
import { defaultLabDir } from '../paths.js';
import { restoreRecord } from '../run/drill-guard.js';
import { note } from './output.js';
import { resolveTarget } from './target.js';

export async function drillRestore(flags: { config?: string; env: string }): Promise<ExitCode> {
  // Without a config, only a running lab can have a target left out (a stopped one is gone).
  if (!findConfigFile(flags.config) && !labStatus(defaultLabDir()).running) {
    note('parity: nothing to restore: no config file, and the embedded lab is not running');
    return 0;
  }
  const target = await resolveTarget({ config: flags.config, log: note });
  try {
    targetContext(target.config, flags.env); // an unknown --env: a usage error
    const records = pendingRestores(target.config, flags.env);
    if (!records.length) {
      note(`parity: nothing to restore: no failover drill left a target of ${flags.env} out`);
      return 0;
    }
    let code: ExitCode = 0;
    for (const p of records) {
      if (p.live) {
        note(
          `parity: a failover drill (pid ${p.record.pid}) has ${p.record.target.id} out right now; it registers it again itself`,
        );
        continue;
      }
      const r = await restoreRecord(target.config, flags.env, p);
      note(r.line);
      if (!r.ok) code = 3;
    }
    return code;
  } finally {
    await target.release();
  }
}
