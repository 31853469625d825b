// Regenerates schema/results.schema.json from the zod schema: `npx tsx src/report/gen-schema.ts`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { resultsJsonSchema, SCHEMA_FILE } from './schema.js';

const file = fileURLToPath(SCHEMA_FILE);
const options = { ...(await resolveConfig(file)), filepath: file };
writeFileSync(file, await format(JSON.stringify(resultsJsonSchema()), options));
console.log(`wrote ${file}`);
