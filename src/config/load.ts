import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { firstLine, UsageError } from '../errors.js';
import { interpolate } from './interpolate.js';
import { ConfigSchema, type ParityConfig } from './schema.js';

const DEFAULT_CONFIG_FILE = 'parity.config.yaml';

/** One line per problem, naming the key: "environments.staging.url: Invalid URL". */
function formatIssues(error: z.ZodError): string {
  const first = error.issues[0];
  if (!first) return 'invalid config';
  const key = first.path.map(String).join('.') || '(root)';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  const msg =
    first.code === 'unrecognized_keys'
      ? `unknown key ${first.keys.map((k) => `"${k}"`).join(', ')}`
      : first.message;
  return `${key}: ${msg}${more}`;
}

/** Parse and validate config text. `source` names the file in errors. */
export function parseConfig(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): ParityConfig {
  let raw: unknown;
  try {
    raw = parse(text, { prettyErrors: true });
  } catch (err) {
    // prettyErrors gives the line; its message's first line is "<reason> at line L, column C:".
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    const reason = err instanceof Error ? firstLine(err).replace(/ at line \d+.*$/, '') : '';
    throw new UsageError(`config error: ${source}: YAML syntax error${where}${reason ? `: ${reason}` : ''}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new UsageError(`config error: ${source}: expected a mapping with "environments"`);
  }
  let interpolated: unknown;
  try {
    interpolated = interpolate(raw, env);
  } catch (err) {
    // Name the file too, like every other config error.
    if (err instanceof UsageError) {
      throw new UsageError(err.message.replace(/^config error: /, `config error: ${source}: `));
    }
    throw err;
  }
  const result = ConfigSchema.safeParse(interpolated);
  if (!result.success) throw new UsageError(`config error: ${source}: ${formatIssues(result.error)}`);
  return result.data;
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): ParityConfig {
  const full = resolve(path);
  if (!existsSync(full)) throw new UsageError(`config error: file not found: ${path}`);
  return parseConfig(readFileSync(full, 'utf8'), path, env);
}

/**
 * The config file a command should use: the explicit --config, else parity.config.yaml in the
 * working directory, else null (meaning: run against the embedded lab).
 */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd()): string | null {
  if (explicit) return explicit;
  const candidate = resolve(cwd, DEFAULT_CONFIG_FILE);
  return existsSync(candidate) ? candidate : null;
}
