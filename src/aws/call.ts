import { CannotRunError } from '../errors.js';
import type { AwsHandle } from './client.js';
import { awsError } from './errors.js';

const MAX_PAGES = 100;

/** The failover drill's calls: the only ones besides Describe* that this project may send. */
const DRILL_ACTIONS: ReadonlySet<string> = new Set(['DeregisterTargets', 'RegisterTargets']);

/**
 * The one gate every AWS call passes. Describe* always; DeregisterTargets/RegisterTargets only
 * to a role: staging environment with the drill enabled (no override exists for production);
 * nothing else, ever. Throws before anything is sent.
 */
export function assertAwsCallAllowed(
  e: Pick<AwsHandle, 'role' | 'disruptive' | 'key' | 'service'>,
  action: string,
): void {
  if (/^Describe/.test(action)) return;
  // The drill's calls are ELBv2's; EC2 only ever reads.
  if (!DRILL_ACTIONS.has(action) || e.service?.label === 'EC2')
    throw new Error(`refused: ${action} is not a Describe* call`);
  if (e.role !== 'staging') {
    throw new Error(
      `refused: ${action} is not a Describe* call, and a role: ${e.role} environment (${e.key}) receives nothing else; only the failover drill on role: staging may send it`,
    );
  }
  if (!e.disruptive) {
    throw new Error(
      `refused: ${action} is not a Describe* call; only the failover drill sends it, and it is disruptive: pass --disruptive`,
    );
  }
}

/** Send one Describe* command (through the gate), bounded by the context's deadline. */
export function describe<Out>(e: AwsHandle, command: object): Promise<Out> {
  return gatedSend<Out>(e, command);
}

/** Send one command through the gate, bounded by the context's deadline; failures become one line. */
export async function gatedSend<Out>(e: AwsHandle, command: object): Promise<Out> {
  const action = command.constructor.name.replace(/Command$/, '');
  assertAwsCallAllowed(e, action);
  const remaining = e.deadline - Date.now();
  if (remaining <= 0) throw new CannotRunError(`${e.key}: deadline passed before ${action}`);
  try {
    return (await e.client.send(command as never, {
      abortSignal: AbortSignal.timeout(Math.min(remaining, 30_000)),
    })) as Out;
  } catch (err) {
    // The SDK's own error stays as the cause: whether the call may have been applied
    // (notApplied, errors.ts) is read from it.
    const out = awsError(err, action, e);
    out.cause = err;
    throw out;
  }
}

/** Follow Marker/NextMarker (EC2: NextToken) to the end (bounded, and a repeated marker stops rather than loops). */
export async function allPages<T>(
  fetch: (marker: string | undefined) => Promise<{ items: T[] | undefined; next: string | undefined }>,
  service = 'ELBv2',
): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const { items, next } = await fetch(marker);
    out.push(...(items ?? []));
    if (!next || seen.has(next)) return out;
    seen.add(next);
    marker = next;
  }
  throw new CannotRunError(`${service} pagination did not end after ${MAX_PAGES} pages`);
}
