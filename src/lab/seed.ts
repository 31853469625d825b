import { request } from 'undici';
import type { LabState } from './state.js';

/**
 * A real production always holds some user sessions; the lab's starts empty. One simulated user
 * signs in (through the LB, so the app stores the session with its own TTL), so that read-only
 * probes of production's session plane (fingerprint) have something to observe. This is the lab
 * playing a user, not parity writing to production.
 */
export async function seedUserSession(state: LabState, envName: string | undefined): Promise<void> {
  const env = envName ? state.environments[envName] : undefined;
  if (!env) return;
  const res = await request(`${env.url}/auth/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'lab-user@example.org', password: 'lab' }),
    headersTimeout: 2000,
    bodyTimeout: 2000,
    reset: true,
  });
  await res.body.dump();
  if (res.statusCode !== 200)
    throw new Error(`seeding a user session in ${envName} answered ${res.statusCode}`);
}
