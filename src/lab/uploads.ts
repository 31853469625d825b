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

/**
 * The journey the lab's config declares, shaped like ChatMRPT's UI: upload (its answer's
 * session_id captured), analyze through the other instance, list the session's files by that
 * id, a streamed chat, and the app's delete endpoint as teardown, so a lab smoke leaves no
 * upload behind.
 */
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
        capture: { session_id: { json: '/session_id' } },
      },
      {
        name: 'analyze',
        on: 'other',
        settleSeconds: LAB_SETTLE_SECONDS,
        request: { method: 'POST', path: '/api/analysis/start' },
        expect: { status: 200, contains: 'complete' },
      },
      {
        name: 'files',
        request: { method: 'GET', path: '/api/uploads/{session_id}' },
        expect: { status: 200, contains: '{marker}.csv' },
      },
      {
        name: 'chat',
        request: { method: 'POST', path: '/send_message_streaming', json: { message: 'Summarise my data' } },
        expect: { status: 200, stream: { minEvents: 3, firstEventMs: 2000 } },
      },
    ],
    teardown: [
      {
        name: 'clear',
        request: { method: 'POST', path: '/api/data/clear' },
        expect: { status: 200, json: { '/status': 'success' } },
      },
    ],
  },
];

/** The lab's session probe deletes its upload the same way (app.session.teardown). */
export const LAB_SESSION_TEARDOWN = { method: 'POST', path: '/api/data/clear' };
