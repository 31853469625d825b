// How the lab gives instances their data folder (where the reference app keeps uploads), and
// the journey its own config declares so a plain `parity smoke` proves uploads follow the user.
import { delimiter, join } from 'node:path';
import type { EnvTopology } from './topology.js';

/** The settleSeconds of the lab config's journey; the sync-lag fault copies later than this. */
export const LAB_SETTLE_SECONDS = 5;

/** One environment's data folder(s): shared by every instance unless the topology says local. */
function dataDirOf(envDir: string, topo: EnvTopology, instanceId: string): string {
  return topo.app.uploads?.storage === 'local' ? join(envDir, `data-${instanceId}`) : join(envDir, 'data');
}

/** The reference app's environment for its data folder and, with local folders, the delayed copy to peers. */
export function uploadEnv(envDir: string, topo: EnvTopology, instanceId: string): Record<string, string> {
  const out: Record<string, string> = { DATA_DIR: dataDirOf(envDir, topo, instanceId) };
  const delay = topo.app.uploads?.syncDelaySeconds;
  if (topo.app.uploads?.storage === 'local' && delay !== undefined) {
    const peers = topo.instances.filter((i) => i.id !== instanceId).map((i) => dataDirOf(envDir, topo, i.id));
    out.SYNC_TO = peers.join(delimiter);
    out.SYNC_DELAY_MS = String(Math.round(delay * 1000));
  }
  return out;
}

/** The journey the lab's config declares: upload through one instance, analyze through the other. */
export const LAB_JOURNEYS = [
  {
    name: 'upload-analyze',
    steps: [
      {
        name: 'upload',
        request: {
          method: 'POST',
          path: '/upload',
          form: { csv_file: { filename: '{marker}.csv', content: 'ward,value\nA,1\nB,2\n' } },
        },
        expect: { status: 200 },
      },
      {
        name: 'analyze',
        on: 'other',
        settleSeconds: LAB_SETTLE_SECONDS,
        request: { method: 'POST', path: '/api/analysis/start' },
        expect: { status: 200, contains: 'complete' },
      },
    ],
  },
];
