// Form files given by `path` are read relative to the config file: at load time each path is
// made absolute and checked (a regular file under the size cap), so a wrong path is a config
// error naming its key (exit 2) before anything is sent, not a failed step.
import { isAbsolute, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { formFileProblem } from '../io/form-file.js';
import type { ParityConfig, RequestSpec } from './schema.js';

type Form = RequestSpec['form'];

function resolveForm(form: Form, key: string, baseDir: string, source: string): void {
  for (const [name, field] of Object.entries(form ?? {})) {
    if (typeof field === 'string' || field.path === undefined) continue;
    const full = isAbsolute(field.path) ? field.path : resolve(baseDir, field.path);
    const problem = formFileProblem(full);
    if (problem) throw new UsageError(`config error: ${source}: ${key}.form.${name}.path: ${problem}`);
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
