// An environment's role decides what parity may send it (docs/safety.md). The role is required;
// a name that says production on an environment that is not role: production is most likely a
// copy-paste slip, so every command that uses the config says so loudly (and doctor warns).
import type { ParityConfig } from './schema.js';

/** Name words that mean production ("prod", "prod-eu", "us_live", "PRD"). */
const PRODUCTION_WORD = /^(?:prod|production|prd|live)$/i;

/** One warning line per environment named like production whose role is not production. */
export function roleWarnings(config: Pick<ParityConfig, 'environments'>): string[] {
  return Object.entries(config.environments)
    .filter(
      ([name, e]) =>
        e.role !== 'production' && name.split(/[^A-Za-z0-9]+/).some((w) => PRODUCTION_WORD.test(w)),
    )
    .map(
      ([name, e]) =>
        `WARNING: environments.${name} is named like production but has role: ${e.role}: parity may write to it, load it and drill it; if it is production, set role: production`,
    );
}
