// Form files given by `path` are read relative to the config file: at load time each path is
// made absolute and checked (a regular file under the size cap, read as every file a user
// names is: src/config/read-user-file.ts), so a wrong path is a config error naming its key
// (exit 2) before anything is sent, not a failed step.
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { readUserFileSync } from './read-user-file.js';
import type { ParityConfig, RequestSpec } from './schema.js';

/** The largest form file parity sends (ChatMRPT's own upload limit is in this range). */
const MAX_FORM_FILE_BYTES = 32 * 1024 * 1024;

type Form = RequestSpec['form'];

/** A form file's bytes; a UsageError of one line "<what> <path>: <why>" when it cannot be sent. */
export function readFormFile(path: string, what = 'form file', maxBytes = MAX_FORM_FILE_BYTES): Buffer {
  return readUserFileSync(path, { what, maxBytes });
}

function resolveForm(form: Form, key: string, baseDir: string, source: string): void {
  for (const [name, field] of Object.entries(form ?? {})) {
    if (typeof field === 'string' || field.path === undefined) continue;
    const full = isAbsolute(field.path) ? field.path : resolve(baseDir, field.path);
    try {
      readFormFile(full, 'file');
    } catch (err) {
      throw new UsageError(`config error: ${source}: ${key}.form.${name}.path: ${(err as Error).message}`);
    }
    field.path = full;
  }
}

/** Make every form file path of the config absolute (from `baseDir`), checking each one. */
export function resolveFormFiles(config: ParityConfig, baseDir: string, source: string): void {
  const s = config.app.session;
  for (const [k, spec] of Object.entries({ login: s.login, write: s.write, read: s.read }))
    if (spec) resolveForm(spec.form, `app.session.${k}`, baseDir, source);
  for (const [j, journey] of config.journeys.entries()) {
    for (const [i, step] of journey.steps.entries())
      resolveForm(step.request.form, `journeys.${j}.steps.${i}.request`, baseDir, source);
    for (const [i, step] of journey.teardown.entries())
      resolveForm(step.request.form, `journeys.${j}.teardown.${i}.request`, baseDir, source);
  }
}
