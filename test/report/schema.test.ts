// results.json has a committed JSON Schema (for consumers outside this code base): it must
// match the zod schema, and every results.json we write must validate against it.
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { resultsJsonSchema, SCHEMA_FILE } from '../../src/report/schema.js';
import { finalizeResults, writeReports } from '../../src/report/write.js';
import { brokenRun, passingRun } from '../fixtures/runs.js';

const committed = JSON.parse(await readFile(SCHEMA_FILE, 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true, validateFormats: false });
const validate = ajv.compile(committed);
const dirs: string[] = [];
type Raw = { [k: string]: unknown; checks: Record<string, unknown>[]; criteria: Record<string, unknown>[] };
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('results.json schema', () => {
  it('the committed schema file is the one generated from the zod schema (npx tsx src/report/gen-schema.ts)', () => {
    expect(committed).toEqual(resultsJsonSchema());
  });

  it('validates the results.json written for both fixture runs', async () => {
    for (const run of [passingRun(), brokenRun()]) {
      const dir = await mkdtemp(join(tmpdir(), 'parity-schema-'));
      dirs.push(dir);
      await writeReports(dir, run);
      const written = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'));
      expect(validate(written), ajv.errorsText(validate.errors)).toBe(true);
      expect(written.criteria).toHaveLength(6);
    }
  });

  it.each([
    ['a missing runId', (r: Raw) => delete r.runId, /runId/],
    ['an unknown check status', (r: Raw) => (r.checks[0].status = 'passed'), /status/],
    ['an unknown criterion status', (r: Raw) => (r.criteria[0].status = 'verified'), /status/],
    ['a misspelt top-level key', (r: Raw) => (r.sumary = r.summary), /additional/],
    ['another schema version', (r: Raw) => (r.schemaVersion = 2), /schemaVersion|const/],
    ['a non-ISO start time', (r: Raw) => (r.startedAt = 'yesterday'), /startedAt/],
    ['evidence that is not an object', (r: Raw) => (r.checks[0].evidence = 'text'), /evidence/],
  ])('rejects %s', (_name, mutate, message) => {
    const r = structuredClone(finalizeResults(passingRun())) as unknown as Raw;
    mutate(r);
    expect(validate(r)).toBe(false);
    expect(ajv.errorsText(validate.errors)).toMatch(message);
  });
});
