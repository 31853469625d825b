import { readUserFile } from '../config/read-user-file.js';
import { writeOutputSync } from '../io/output.js';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { FINGERPRINT_KIND, type Fingerprint } from './types.js';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const FingerprintSchema = z
  .object({
    schemaVersion: z.literal(1),
    kind: z.literal(FINGERPRINT_KIND),
    env: z.string(),
    role: z.string(),
    collectedAt: z.string(),
    samples: z.number().int().min(1),
    fields: z.record(z.string(), scalar),
    raw: z.record(z.string(), scalar),
    unknown: z.record(z.string(), z.string()),
    volatile: z.array(z.string()),
    perInstance: z.record(z.string(), z.record(z.string(), scalar)).optional(),
  })
  .strict();

/** Read a fingerprint file; anything wrong is one UsageError line naming the file. */
export async function readFingerprint(path: string): Promise<Fingerprint> {
  const text = (await readUserFile(path, { what: 'fingerprint' })).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${path}: not JSON`);
  }
  const result = FingerprintSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new UsageError(
      `${path}: not a parity fingerprint (${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'})`,
    );
  }
  return result.data as Fingerprint;
}

export function writeFingerprint(path: string, fp: Fingerprint): void {
  writeOutputSync(path, JSON.stringify(fp, null, 2) + '\n');
}
