import { CannotRunError } from '../errors.js';
import type { AwsHandle } from './client.js';
import { awsError } from './errors.js';

const MAX_PAGES = 100;

/** Send one Describe* command, bounded by the context's deadline; failures become one line. */
export async function describe<Out>(e: AwsHandle, command: object): Promise<Out> {
  const action = command.constructor.name.replace(/Command$/, '');
  // The one gate every AWS call passes: this project only ever reads.
  if (!/^Describe/.test(action)) throw new Error(`refused: ${action} is not a Describe* call`);
  const remaining = e.deadline - Date.now();
  if (remaining <= 0) throw new CannotRunError(`${e.key}: deadline passed before ${action}`);
  try {
    return (await e.client.send(command as never, {
      abortSignal: AbortSignal.timeout(Math.min(remaining, 30_000)),
    })) as Out;
  } catch (err) {
    throw awsError(err, action, e);
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
