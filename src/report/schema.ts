// results.json as a zod schema. The JSON Schema committed in schema/results.schema.json is
// generated from it (`npx tsx src/report/gen-schema.ts`); a test keeps the two in sync.
import { z } from 'zod';
import type { RunResults } from './model.js';

const CheckSchema = z
  .object({
    id: z.string().min(1),
    env: z.string().min(1),
    status: z.enum(['pass', 'fail', 'error', 'skip']),
    durationMs: z.number().min(0),
    diagnosis: z.string(),
    evidence: z.record(z.string(), z.unknown()),
  })
  .strict();

const CriterionSchema = z
  .object({
    id: z.number().int().min(1),
    title: z.string().min(1),
    status: z.enum(['pass', 'fail', 'not-verified']),
    checks: z.array(z.string()),
    evidence: z.array(z.string()).optional(),
  })
  .strict();

const count = z.number().int().min(0);

const ResultsSchema = z
  .object({
    schemaVersion: z.literal(1),
    runId: z.string().min(1),
    mode: z.enum(['smoke', 'nightly', 'signoff', 'load', 'fingerprint', 'drill', 'watch']),
    startedAt: z.iso.datetime({ offset: true }),
    finishedAt: z.iso.datetime({ offset: true }),
    environments: z.record(z.string(), z.object({ url: z.string(), role: z.string() }).strict()),
    checks: z.array(CheckSchema),
    criteria: z.array(CriterionSchema),
    summary: z.object({ passed: count, failed: count, errored: count, skipped: count }).strict(),
    tool: z
      .object({ name: z.string(), version: z.string(), commit: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict()
  .meta({
    $id: 'https://parity.local/schema/results.schema.json',
    title: 'parity results.json',
    description: 'One run of the parity suite: checks with evidence, the six success criteria, a summary.',
  });

// Compile-time guard: the schema and the RunResults interface describe the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _inSync: Same<z.infer<typeof ResultsSchema>, RunResults> = true;
void _inSync;

/** The JSON Schema of results.json (draft 2020-12). */
export function resultsJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ResultsSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}

export const SCHEMA_FILE = new URL('./schema/results.schema.json', import.meta.url);
