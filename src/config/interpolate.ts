import { UsageError } from '../errors.js';

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Told of every value a variable put into the config: the key (dotted) and the value. */
export type OnVariable = (key: string, value: string) => void;

/**
 * Replace `${VAR}` (or `${VAR:-default}`) in every string of a parsed YAML tree.
 * An unset variable is an error naming the config key, so secrets never need to be in the file.
 * `onVariable` hears of each value taken from `env` (not of defaults: those are in the file).
 */
export function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  path: string[] = [],
  onVariable?: OnVariable,
): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (v !== undefined && v !== '') {
        onVariable?.(path.join('.'), v);
        return v;
      }
      if (fallback !== undefined) return fallback;
      throw new UsageError(
        `config error: ${path.join('.') || '(root)'}: environment variable ${name} is not set`,
      );
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, String(i)], onVariable));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...path, k], onVariable)]),
    );
  }
  return value;
}

/** Every `${VAR}` a parsed YAML tree uses: its name, the key that uses it, whether it has a default. */
export function variablesIn(
  value: unknown,
  path: string[] = [],
): { name: string; key: string; hasDefault: boolean }[] {
  if (typeof value === 'string') {
    return [...value.matchAll(VAR)].map((m) => ({
      name: m[1],
      key: path.join('.') || '(root)',
      hasDefault: m[2] !== undefined,
    }));
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => variablesIn(v, [...path, String(i)]));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.entries(value).flatMap(([k, v]) => variablesIn(v, [...path, k]));
  }
  return [];
}
