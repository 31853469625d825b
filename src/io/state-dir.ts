// parity's per-user state folder: what a later command must find whatever its working
// directory or TMPDIR (a failover drill's pending restore). $PARITY_STATE_DIR (tests), else
// $XDG_STATE_HOME/parity, else ~/.local/state/parity, as the XDG base directory spec says.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PARITY_STATE_DIR) return resolve(env.PARITY_STATE_DIR);
  if (env.XDG_STATE_HOME) return join(resolve(env.XDG_STATE_HOME), 'parity');
  return join(homedir(), '.local', 'state', 'parity');
}
