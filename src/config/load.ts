import { existsSync, lstatSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { firstLine, UsageError } from '../errors.js';
import { addRuntimeSecret, addSecretsOf } from '../secrets.js';
import { setDeferred, type DeferredEnvironment } from './deferred.js';
import { resolveFormFiles } from './form-files.js';
import { interpolate, type OnVariable } from './interpolate.js';
import { ConfigSchema, ROLES, roleMessage, type ParityConfig } from './schema.js';
import { PARSE_ONCE } from '../util.js';
import { readUserFileSync } from './read-user-file.js';

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

/**
 * Every environment says its role, checked before anything else (also of an environment whose
 * variables are unset, which the schema never sees): a line left out must not make production
 * look like staging.
 */
function requireRoles(environments: unknown, source: string): void {
  if (!environments || typeof environments !== 'object' || Array.isArray(environments)) return;
  for (const [name, e] of Object.entries(environments)) {
    const role = (e as { role?: unknown } | null)?.role;
    // A "${VAR}" role is checked by the schema once it is resolved.
    const pending = typeof role === 'string' && role.includes('${');
    if (!pending && !(ROLES as readonly unknown[]).includes(role))
      throw new UsageError(`config error: ${source}: environments.${name}.role: ${roleMessage(role)}`);
  }
}

/**
 * Keys whose `${VAR}` values are shown in reports, because they are public by nature: the
 * version every instance announces in its answers, the environment's URL (a password in it is
 * still redacted), the AWS region and names. Every other value a variable put in the config is
 * a secret, whatever the variable's name.
 */
const PUBLIC_KEY =
  /^(?:app\.version\.expected|environments\.[^.]+\.(?:url|aws\.(?:region|loadBalancerName|loadBalancerArn|endpoint|ec2Endpoint|profile)))$/;

const rememberVariable: OnVariable = (key, value) => {
  if (!PUBLIC_KEY.test(key)) addRuntimeSecret(value);
};

/** Parse and validate config text. `source` names the file in errors. */
export function parseConfig(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
  /** Where relative form file paths are read from (the config file's folder). */
  baseDir = process.cwd(),
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
  // Name the file too, like every other config error.
  const named = (err: unknown) =>
    err instanceof UsageError
      ? new UsageError(err.message.replace(/^config error: /, `config error: ${source}: `))
      : err;
  // Each environment on its own: one whose variables are not set is deferred (an error only
  // for a run that uses it), so staging runs without production's secrets.
  const { environments, ...rest } = raw as Record<string, unknown>;
  requireRoles(environments, source);
  let interpolated: Record<string, unknown>;
  const deferred: Record<string, DeferredEnvironment> = {};
  // The login too: its credentials are needed only by a run that writes a session (never
  // production's), so `smoke --env production` runs without APP_USER/APP_PASSWORD.
  const session = (rest.app as { session?: Record<string, unknown> } | undefined)?.session;
  const login = session?.login;
  let loginError: string | undefined;
  let resolvedLogin: unknown;
  if (session && login !== undefined) {
    try {
      resolvedLogin = interpolate(login, env, ['app', 'session', 'login'], rememberVariable);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      loginError = (named(err) as Error).message;
    }
  }
  try {
    const withoutLogin =
      session && login !== undefined
        ? { ...rest, app: { ...(rest.app as object), session: { ...session, login: undefined } } }
        : rest;
    interpolated = interpolate(withoutLogin, env, [], rememberVariable) as Record<string, unknown>;
  } catch (err) {
    throw named(err);
  }
  if (resolvedLogin !== undefined) {
    const app = interpolated.app as { session: Record<string, unknown> };
    app.session.login = resolvedLogin;
  }
  if (environments && typeof environments === 'object' && !Array.isArray(environments)) {
    const kept: Record<string, unknown> = {};
    for (const [name, e] of Object.entries(environments)) {
      try {
        kept[name] = interpolate(e, env, ['environments', name], rememberVariable);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        const role = (e as { role?: unknown } | null)?.role;
        deferred[name] = {
          role: String(role),
          message: (named(err) as Error).message,
        };
      }
    }
    // Nothing left to run against: the first unset variable is the error.
    const first = Object.values(deferred)[0];
    if (Object.keys(kept).length === 0 && first) throw new UsageError(first.message);
    interpolated.environments = kept;
  } else if (environments !== undefined) interpolated.environments = environments;
  // Before validation: a config error that quotes a value must not print a secret either.
  addSecretsOf(env, interpolated);
  const result = ConfigSchema.safeParse(interpolated, PARSE_ONCE);
  if (!result.success) throw new UsageError(`config error: ${source}: ${formatIssues(result.error)}`);
  setDeferred(result.data, deferred, loginError);
  resolveFormFiles(result.data, baseDir, source);
  return result.data;
}

/** Read a config file the user named (a regular file under the cap: src/config/read-user-file.ts). */
export function readConfigText(path: string): string {
  try {
    return readUserFileSync(path, { what: 'config file' }).toString('utf8');
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`config error: ${err.message}`);
    throw err;
  }
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): ParityConfig {
  return parseConfig(readConfigText(path), path, env, dirname(resolve(path)));
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The config file a command should use: the explicit --config, else parity.config.yaml in the
 * working directory, else null (meaning: run against the embedded lab).
 */
export function findConfigFile(explicit: string | undefined, cwd = process.cwd()): string | null {
  if (explicit) return explicit;
  const candidate = resolve(cwd, DEFAULT_CONFIG_FILE);
  // A parity.config.yaml that is there but cannot be followed (a symlink loop, a dangling link)
  // is the user's file, not a reason to run against the lab: loading it names the cause.
  return existsSync(candidate) || isLink(candidate) ? candidate : null;
}
