// Environments whose ${VAR}s are not all set: kept aside instead of failing the whole config,
// so a run that does not use them (smoke --env staging without PROD_REDIS_URL) still runs; a
// run that does gets the one-line error naming the key and the variable (src/contract/target.ts).

export interface DeferredEnvironment {
  role: string;
  /** "config error: FILE: environments.production.redis.url: environment variable PROD_REDIS_URL is not set" */
  message: string;
}

const deferred = new WeakMap<object, Record<string, DeferredEnvironment>>();
const deferredLogin = new WeakMap<object, string>();

export function setDeferred(config: object, envs: Record<string, DeferredEnvironment>, login?: string): void {
  if (Object.keys(envs).length) deferred.set(config, envs);
  if (login) deferredLogin.set(config, login);
}

/** The error of app.session.login when its variables are not set (a session write needs it). */
export function unresolvedLogin(config: object): string | undefined {
  return deferredLogin.get(config);
}

/** The environments of this config that could not be resolved, by name. */
export function deferredEnvironments(config: object): Record<string, DeferredEnvironment> {
  return deferred.get(config) ?? {};
}
