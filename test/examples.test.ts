// The CI examples run as written: every GitHub Actions workflow in examples/ validates
// (@action-validator/core, the JSON schemas GitHub's own editor uses), the Kubernetes
// manifests have the shape their kinds need, the scripts pass shellcheck, and every
// `parity ...` command line in examples/ and the README (whatever README.md holds when the
// test runs) is accepted by the CLI's own argument parser, which runs nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { z } from 'zod';
import { parseOnly } from '../src/cli/program.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { fromMarkdown, fromShell, fromYaml, type CommandLine } from './helpers/command-lines.js';

const EXAMPLES = join(PROJECT_ROOT, 'examples');
const files = readdirSync(EXAMPLES).sort();
const text = (f: string) => readFileSync(join(EXAMPLES, f), 'utf8');
const isWorkflow = (f: string) => /\.ya?ml$/.test(f) && 'jobs' in (parse(text(f)) ?? {});
const workflows = files.filter(isWorkflow);
const manifests = files.filter((f) => /\.ya?ml$/.test(f) && !isWorkflow(f));
const scripts = files.filter((f) => f.endsWith('.sh'));

describe('GitHub Actions workflows', () => {
  it('are the ones the docs name', () => {
    expect(workflows).toEqual([
      'deploy-and-watch.github-actions.yml',
      'load-shards.github-actions.yml',
      'nightly.github-actions.yml',
      'post-deploy-smoke.github-actions.yml',
    ]);
  });

  it.each(workflows)('%s validates', (f) => {
    expect(validateWorkflow(text(f)).errors).toEqual([]);
  });

  it('the validator does reject a broken workflow', () => {
    const broken = text('nightly.github-actions.yml').replace(
      'runs-on: ubuntu-latest',
      'runs_on: ubuntu-latest',
    );
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
  });

  it("deploy and watch: the deploy runs as parity watch's command, then the gate, then reports always", () => {
    const wf = parse(text('deploy-and-watch.github-actions.yml'));
    const steps = wf.jobs.deploy.steps as { run?: string; if?: string; env?: Record<string, string> }[];
    const watch = steps.findIndex((s) => s.run?.includes('parity watch'));
    const gate = steps.findIndex((s) => s.run?.includes('parity smoke'));
    expect(watch).toBeGreaterThan(-1);
    expect(steps[watch].run).toMatch(/parity watch --env staging .* -- \.\/examples\/deploy_to_staging\.sh$/);
    expect(steps[watch].env?.PARITY_GATE).toBe('0');
    expect(gate).toBe(watch + 1);
    expect(steps[gate].run).toContain('--expect-version ${{ github.sha }}');
    expect(steps.slice(gate + 1).every((s) => s.if === 'always()')).toBe(true);
  });

  it('post-deploy smoke: after the deploy job, the deployed commit, a bounded wait, summary, artifact, JUnit', () => {
    const wf = parse(text('post-deploy-smoke.github-actions.yml'));
    expect(wf.jobs.smoke.needs).toBe('deploy');
    const steps = wf.jobs.smoke.steps as {
      run?: string;
      uses?: string;
      with?: Record<string, unknown>;
      if?: string;
    }[];
    const smoke = steps.find((s) => s.run?.includes('parity smoke'))!;
    expect(smoke.run).toContain('--expect-version ${{ github.sha }} --converge 300');
    const after = steps.slice(steps.indexOf(smoke) + 1);
    expect(after.every((s) => s.if === 'always()')).toBe(true);
    expect(after.some((s) => s.run?.includes('reports/latest/signoff.md >> "$GITHUB_STEP_SUMMARY"'))).toBe(
      true,
    );
    expect(after.some((s) => s.uses?.startsWith('actions/upload-artifact@'))).toBe(true);
    expect(after.find((s) => s.uses?.startsWith('mikepenz/action-junit-report@'))?.with?.report_paths).toBe(
      'reports/latest/junit.xml',
    );
  });

  it('nightly: on a schedule; history.jsonl restored before the run and saved after it, also when it failed', () => {
    const wf = parse(text('nightly.github-actions.yml'));
    expect(wf.on.schedule[0].cron).toMatch(/^\S+ \S+ \* \* \*$/);
    const steps = wf.jobs.nightly.steps as {
      run?: string;
      uses?: string;
      with?: Record<string, string>;
      if?: string;
    }[];
    const at = (p: (s: (typeof steps)[number]) => boolean) => steps.findIndex(p);
    const restore = at((s) => s.uses?.startsWith('actions/cache/restore@') ?? false);
    const run = at((s) => s.run?.includes('parity nightly') ?? false);
    const save = at((s) => s.uses?.startsWith('actions/cache/save@') ?? false);
    expect(restore).toBeLessThan(run);
    expect(save).toBeGreaterThan(run);
    expect(steps[restore].with?.path).toBe('reports/history.jsonl');
    expect(steps[save].with?.path).toBe('reports/history.jsonl');
    expect(steps[run].run).toContain('--out reports');
    expect(steps[save].if).toBe('always()');
    expect(steps.some((s) => s.if?.startsWith('failure()') && s.run?.includes('gh issue create'))).toBe(true);
  });
});

// The fields each kind needs to be accepted and to run (a light schema: no cluster here).
const Container = z.object({
  name: z.string(),
  image: z.string(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
});
const PodSpec = z.object({
  restartPolicy: z.enum(['Never', 'OnFailure']),
  containers: z.array(Container).min(1),
});
const JobSpec = z.object({ template: z.object({ spec: PodSpec }) });
const Manifest = z.discriminatedUnion('kind', [
  z.object({
    apiVersion: z.literal('batch/v1'),
    kind: z.literal('Job'),
    metadata: z.object({ name: z.string() }),
    spec: JobSpec,
  }),
  z.object({
    apiVersion: z.literal('batch/v1'),
    kind: z.literal('CronJob'),
    metadata: z.object({ name: z.string() }),
    spec: z.object({
      schedule: z.string().regex(/^(\S+ ){4}\S+$/),
      concurrencyPolicy: z.enum(['Allow', 'Forbid', 'Replace']).optional(),
      jobTemplate: z.object({ spec: JobSpec }),
    }),
  }),
]);

describe('Kubernetes manifests', () => {
  it.each(manifests)('%s has the shape of its kind', (f) => {
    const docs = parseAllDocuments(text(f)).map((d) => d.toJS());
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(Manifest.safeParse(doc).error?.issues ?? []).toEqual([]);
  });

  it('the nightly CronJob never overlaps, is not retried into a pass, and keeps its reports on a volume', () => {
    const cron = parse(text('nightly.k8s.yaml'));
    expect(cron.kind).toBe('CronJob');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    expect(cron.spec.jobTemplate.spec.backoffLimit).toBe(0);
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.containers[0].args.join(' ')).toContain('parity nightly');
    expect(pod.containers[0].args.join(' ')).toContain('--out /reports');
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'reports', mountPath: '/reports' });
  });
});

describe('scripts', () => {
  it('the deploy script calls parity as its last step, gating the release it deployed', () => {
    const lines = text('deploy_to_staging.sh').trim().split('\n');
    expect(lines.at(-1)).toBe(
      'exec npx parity smoke --env staging --expect-version "$RELEASE" --converge 300',
    );
  });

  const shellcheck = spawnSync('shellcheck', ['--version']).status === 0;
  it.runIf(shellcheck)('shellcheck passes on .ci/run and the example scripts', () => {
    const targets = [join(PROJECT_ROOT, '.ci/run'), ...scripts.map((s) => join(EXAMPLES, s))];
    const r = spawnSync('shellcheck', targets, { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('every parity command line parses', () => {
  const lines: CommandLine[] = [];
  for (const f of files) {
    if (f.endsWith('.sh')) lines.push(...fromShell(text(f), `examples/${f}`));
    else if (/\.ya?ml$/.test(f)) lines.push(...fromYaml(text(f), `examples/${f}`));
  }
  const readme = join(PROJECT_ROOT, 'README.md');
  const fromReadme = existsSync(readme) ? fromMarkdown(readFileSync(readme, 'utf8'), 'README.md') : [];

  it('finds the gate and nightly lines of every example', () => {
    const where = (s: string) => lines.filter((l) => l.where.startsWith(`examples/${s}`)).length;
    for (const f of [...workflows, ...manifests, ...scripts]) expect(where(f), f).toBeGreaterThan(0);
    expect(lines.map((l) => l.args.join(' '))).toContain(
      'smoke --env staging --expect-version 1 --converge 300 --out reports',
    );
  });

  it.each([...lines, ...fromReadme].map((l) => [l.where, l] as const))('%s', async (_where, line) => {
    const r = await parseOnly(line.args);
    expect(r, line.args.join(' ')).toMatchObject({ ok: true });
  });

  it('the parser used rejects what the CLI rejects, and runs nothing', async () => {
    expect(await parseOnly(['smoke', '--expect-versio', '1'])).toEqual({
      ok: false,
      error: "error: unknown option '--expect-versio'",
    });
    expect(await parseOnly(['nope'])).toMatchObject({ ok: false, error: "error: unknown command 'nope'" });
    expect(await parseOnly(['smoke', '--converge'])).toMatchObject({ ok: false });
    expect(await parseOnly(['lab', 'up', '--fault'])).toMatchObject({ ok: false });
    // `load` has an action of its own beside `load merge`: stubbed too (it would send load)
    expect(await parseOnly(['load', '--duration', '1s'])).toEqual({ ok: true, command: 'load' });
    expect(await parseOnly(['doctor', '--json'])).toEqual({ ok: true, command: 'doctor' });
  });
});

describe('the command-line finder', () => {
  it('reads substitutions, continuations, redirections, env assignments; skips synopses', () => {
    const found = fromShell(
      [
        'FOO=1 npx parity smoke --expect-version "$GIT_SHA" \\',
        '  --converge ${{ inputs.wait }} > out.txt 2>&1 && echo done',
        'if ! node bin/parity.js load --shard $((I + 1))/4; then exit 1; fi',
        'npx parity lab up [--fault NAME ...] [--json]',
        'echo parity smoke   # a word in a sentence, not a command',
      ].join('\n'),
      't',
    ).map((l) => l.args);
    expect(found).toEqual([
      ['smoke', '--expect-version', '1', '--converge', '1'],
      ['load', '--shard', '1/4'],
    ]);
  });
});
