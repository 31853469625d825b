// Where parity's own files are (the project root, fixtures) and the lab's default folder:
// computed from this module's location, so they hold whatever the working directory.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

/** The project's root folder (where package.json is), whatever the working directory. */
export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../', import.meta.url)));

export function fixturePath(rel: string): string {
  return join(PROJECT_ROOT, 'fixtures', rel);
}

/** Node arguments that run a TypeScript entry point through tsx. */
export function tsNodeArgs(entry: string): string[] {
  const require = createRequire(import.meta.url);
  return ['--import', pathToFileURL(require.resolve('tsx/esm')).href, entry];
}

/** Where the lab keeps its state and logs: $PARITY_LAB_DIR, else .parity/lab in the working directory. */
export function defaultLabDir(): string {
  return resolve(process.env.PARITY_LAB_DIR ?? join(process.cwd(), '.parity', 'lab'));
}
