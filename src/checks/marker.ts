// The unique value a probe or journey user writes (`{marker}`): letters and digits only, so one
// value passes a username rule such as ChatMRPT's ^[a-zA-Z0-9_]+$, an e-mail's local part, a
// slug and a file name alike.
import { randomBytes } from 'node:crypto';

/** "parity" + 12 hex digits, e.g. parity3fa94c0b21de. */
export function newMarker(): string {
  return `parity${randomBytes(6).toString('hex')}`;
}
