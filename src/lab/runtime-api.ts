import { tcpExchange } from './processes.js';

// HAProxy's runtime API over its stats socket: the live truth about targets.

export async function runtimeCommand(socketPath: string, command: string): Promise<string> {
  return tcpExchange({ path: socketPath }, command + '\n', 2000);
}

export interface ServerStat {
  name: string;
  /** UP, DOWN, MAINT, "UP 1/2" (going down), "DOWN 1/2" (going up), no check... */
  status: string;
  /** Last health check status: L7OK, L4CON (refused), L4TOUT/L7TOUT (timeout), L7STS (bad status)... */
  checkStatus: string;
  weight: number;
  /** Requests sent to this server (cumulative HTTP requests). */
  requests: number;
  /** Sessions (connections) sent to this server. */
  sessions: number;
}

/** `show stat` for the target group's servers (the backend named "tg"). */
export async function serverStats(socketPath: string): Promise<ServerStat[]> {
  const csv = await runtimeCommand(socketPath, 'show stat');
  const lines = csv.split('\n').filter((l) => l.trim());
  const header = lines[0]?.replace(/^# /, '').split(',') ?? [];
  const col = (name: string) => header.indexOf(name);
  const out: ServerStat[] = [];
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    if (f[col('pxname')] !== 'tg' || ['FRONTEND', 'BACKEND'].includes(f[col('svname')] ?? '')) continue;
    out.push({
      name: f[col('svname')] ?? '',
      status: f[col('status')] ?? '',
      checkStatus: f[col('check_status')] ?? '',
      weight: Number(f[col('weight')]),
      requests: Number(f[col('req_tot')] || 0),
      sessions: Number(f[col('stot')] || 0),
    });
  }
  return out;
}
