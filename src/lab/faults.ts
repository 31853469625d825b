import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { fixturePath } from '../paths.js';
import { deepMerge, parseTopology, type Topology } from './topology.js';
import { PARSE_ONCE } from '../util.js';

const FaultSchema = z
  .object({
    summary: z.string(),
    env: z.string().default('staging'),
    patch: z.record(z.string(), z.unknown()),
    /**
     * What the self-test runs with the fault on: the full mode (default), or a watch of a
     * rolling deploy (`parity watch -- parity lab deploy --version 1.5.0`): deploy faults.
     */
    run: z.enum(['nightly', 'watch']).default('nightly'),
    fails: z.array(z.string()).min(1),
    /** Checks whose outcome under this fault depends on chance (e.g. which instance took a write). */
    mayFail: z.array(z.string()).default([]),
    /** Check id → regex (case-insensitive) its diagnosis must match: it names the cause. */
    causes: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export type Fault = z.infer<typeof FaultSchema> & { name: string };

export function loadFaults(file = fixturePath('lab/faults.yaml')): Fault[] {
  const raw = z.record(z.string(), FaultSchema).parse(parse(readFileSync(file, 'utf8')), PARSE_ONCE);
  return Object.entries(raw).map(([name, f]) => ({ name, ...f }));
}

export function findFault(name: string, catalog = loadFaults()): Fault {
  const fault = catalog.find((f) => f.name === name);
  if (!fault) {
    throw new UsageError(`unknown fault "${name}"; known: ${catalog.map((f) => f.name).join(', ')}`);
  }
  return fault;
}

/** The topology with the named faults applied, in order. */
export function applyFaults(topology: Topology, names: string[], catalog = loadFaults()): Topology {
  let out = topology;
  for (const name of names) {
    const fault = findFault(name, catalog);
    const env = out.environments[fault.env];
    if (!env) throw new UsageError(`fault "${name}" targets unknown environment "${fault.env}"`);
    const patched = deepMerge(env, fault.patch);
    out = parseTopology({ environments: { ...out.environments, [fault.env]: patched } }, `fault ${name}`);
  }
  return out;
}
