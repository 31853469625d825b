// `parity doctor`: can parity run here? The config (which file, valid, every ${VAR} set), the
// lab's binaries, and per environment the ALB, AWS credentials and permissions, and Redis.
// One item per finding, each with what to do. Probes are read-only (GET, Describe*, PING)
// and bounded; values of variables and passwords are never shown.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { leftOutLines, pendingRestores, restoreCommand } from '../aws/pending-restore.js';
import { probeElbv2 } from '../aws/permissions.js';
import { targetContext } from '../contract/target.js';
import { variablesIn } from '../config/interpolate.js';
import { findConfigFile, parseConfig, readConfigText } from '../config/load.js';
import { folderProblem, tempFolder } from '../config/folders.js';
import { roleWarnings } from '../config/roles.js';
import type { ParityConfig } from '../config/schema.js';
import { firstLine as messageOf } from '../errors.js';
import { send } from '../http/client.js';
import {
  aptGet,
  findBinary,
  installPlan,
  installRefused,
  LAB_BINARIES,
  type LabBinary,
} from '../lab/binaries.js';
import { labStatus } from '../lab/status.js';
import { defaultLabDir } from '../paths.js';
import { connectRedis, redisWhere } from '../redis/client.js';
import { redactText } from '../report/redact.js';

export interface DoctorItem {
  status: 'ok' | 'warn' | 'fail';
  /** "config", "lab", "staging" ... */
  area: string;
  message: string;
  /** What to do about it (fail and warn). */
  fix?: string;
  /** The exit code a failure stands for: 2 config, 3 cannot run. */
  exit?: 2 | 3;
}

export interface DoctorReport {
  items: DoctorItem[];
  exitCode: 0 | 2 | 3;
}

const ok = (area: string, message: string): DoctorItem => ({ status: 'ok', area, message });
const fail = (area: string, message: string, fix: string, exit: 2 | 3 = 3): DoctorItem => ({
  status: 'fail',
  area,
  message,
  fix,
  exit,
});

/** No secret in a line: URL credentials and anything the report redactor knows. */
export function scrub(line: string): string {
  return redactText(line.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@'));
}

/** The config: which file, every ${VAR} set (names only), valid. */
function configItems(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): { items: DoctorItem[]; config?: ParityConfig; file?: string } {
  const file = findConfigFile(explicit, cwd);
  if (!file) {
    return {
      items: [
        ok(
          'config',
          'no parity.config.yaml in this folder and no --config: the commands run against the embedded lab',
        ),
      ],
    };
  }
  const full = resolve(cwd, file);
  let text: string;
  try {
    text = readConfigText(full);
  } catch (err) {
    return {
      items: [
        fail('config', messageOf(err).replace(/^config error: /, ''), 'check the path given to --config', 2),
      ],
    };
  }
  const items: DoctorItem[] = [ok('config', `using ${full}${explicit ? ' (--config)' : ''}`)];
  let raw: unknown;
  try {
    raw = parse(text);
  } catch {
    raw = undefined; // parseConfig below names the YAML error
  }
  const vars = variablesIn(raw);
  const set = (n: string) => env[n] !== undefined && env[n] !== '';
  const unset = vars.filter((v) => !set(v.name) && !v.hasDefault);
  const defaulted = vars.filter((v) => !set(v.name) && v.hasDefault);
  const names = (vs: typeof vars) => [...new Set(vs.map((v) => v.name))];
  if (vars.length) {
    const good = names(vars.filter((v) => set(v.name)));
    if (good.length) items.push(ok('config', `variables set (values not shown): ${good.join(', ')}`));
    if (defaulted.length)
      items.push({
        status: 'warn',
        area: 'config',
        message: `variables unset, their defaults used: ${names(defaulted).join(', ')}`,
        fix: 'export them if the defaults are not meant',
      });
    for (const name of names(unset)) {
      const keys = unset.filter((v) => v.name === name).map((v) => v.key);
      items.push(
        fail('config', `\${${name}} is not set (used by ${keys.join(', ')})`, `export ${name}=...`, 2),
      );
    }
  }
  if (unset.length) return { items, file: full };
  try {
    const config = parseConfig(text, file, env);
    const envs = Object.entries(config.environments).map(([n, e]) => `${n} (${e.role})`);
    items.push(ok('config', `valid: environments ${envs.join(', ')}`));
    for (const line of roleWarnings(config))
      items.push({
        status: 'warn',
        area: 'config',
        message: line.replace(/^WARNING: /, ''),
        fix: 'set role: production on it if it is production',
      });
    return { items, config, file: full };
  } catch (err) {
    items.push(
      fail(
        'config',
        messageOf(err).replace(/^config error: /, ''),
        'fix the key named (see docs/doctor.md)',
        2,
      ),
    );
    return { items, file: full };
  }
}

/**
 * The two folders the commands work in: the temporary folder (every run's scratch files, a
 * temporary lab) and the lab's (a failure only when the embedded lab is what would be used).
 */
function folderItems(labNeeded: boolean): DoctorItem[] {
  const items: DoctorItem[] = [];
  const tmp = tempFolder();
  const tmpProblem = folderProblem(tmp.dir, { mayCreate: false });
  if (tmpProblem)
    items.push(
      fail('folders', `${tmp.setting} ${tmp.dir}: ${tmpProblem}`, 'set TMPDIR to a writable folder', 2),
    );
  const lab = defaultLabDir();
  const labProblem = folderProblem(lab, { mayCreate: true });
  const setting = process.env.PARITY_LAB_DIR ? 'PARITY_LAB_DIR' : 'the lab folder';
  if (labProblem) {
    const line = `${setting} ${lab}: ${labProblem}`;
    const fix = 'set PARITY_LAB_DIR to a writable folder';
    items.push(
      labNeeded ? fail('folders', line, fix, 2) : { status: 'warn', area: 'folders', message: line, fix },
    );
  }
  if (!tmpProblem && !labProblem)
    items.push(ok('folders', `writable: ${tmp.setting} ${tmp.dir}, ${setting} ${lab}`));
  return items;
}

/** The lab's binaries; a failure only when the embedded lab is what the commands would use. */
function labItems(needed: boolean): DoctorItem[] {
  const bins = Object.keys(LAB_BINARIES) as LabBinary[];
  const found = bins.map((b) => [b, findBinary(b)] as const);
  const missing = found.filter(([, p]) => !p).map(([b]) => b);
  const items: DoctorItem[] = [];
  const have = found.filter(([, p]) => p).map(([b, p]) => `${b} ${p}`);
  if (!missing.length) items.push(ok('lab', `binaries found: ${have.join(', ')}`));
  else {
    const plan = installPlan({
      packages: missing.map((m) => LAB_BINARIES[m]),
      what: missing.join(' and '),
      uid: process.getuid?.(),
      aptGet: aptGet(),
      refused: installRefused(),
    });
    const command =
      plan.action === 'install'
        ? `run "parity lab up" as root (it installs them), or: apt-get install -y ${plan.packages.join(' ')}`
        : plan.action === 'tell'
          ? (/install with: (.*?)(?: \(|$)/.exec(plan.line)?.[1] ?? plan.line)
          : '';
    const message = `${missing.join(' and ')} not found${have.length ? ` (found ${have.join(', ')})` : ''}`;
    items.push(
      needed
        ? fail('lab', message, command)
        : {
            status: 'warn',
            area: 'lab',
            message: `${message}; only the embedded lab needs them`,
            fix: command,
          },
    );
  }
  const status = labStatus(defaultLabDir());
  if (status.running) items.push(ok('lab', `running in ${status.dir}`));
  else if (status.state)
    items.push({
      status: 'warn',
      area: 'lab',
      message: `a stale lab in ${status.dir} (${status.dead.length} processes gone)`,
      fix: 'parity lab down',
    });
  return items;
}

const ms = (t0: number) => `${Math.round(performance.now() - t0)} ms`;

/** ALB, AWS, Redis of one environment. */
async function environmentItems(config: ParityConfig, name: string): Promise<DoctorItem[]> {
  const ctx = targetContext(config, name, { deadline: Date.now() + 30_000 });
  const items: DoctorItem[] = [];
  const url = ctx.env.url.replace(/\/$/, '') + ctx.app.health.path;
  const t0 = performance.now();
  try {
    const res = await send(url, { method: 'GET', timeoutMs: 5000 });
    items.push(
      res.status < 500
        ? ok(name, `ALB ${ctx.env.url} answered GET ${ctx.app.health.path} ${res.status} in ${ms(t0)}`)
        : fail(
            name,
            `ALB ${ctx.env.url} answered GET ${ctx.app.health.path} ${res.status}`,
            'the ALB has no healthy target: see targets in the AWS console or "parity smoke"',
          ),
    );
  } catch (err) {
    items.push(
      fail(
        name,
        `ALB ${ctx.env.url} unreachable: ${messageOf(err)}`,
        `check environments.${name}.url, DNS and that this machine may reach it (security group)`,
      ),
    );
  }
  if (!ctx.env.aws) {
    items.push({
      status: 'warn',
      area: name,
      message: 'no aws config: targets.registered and the AWS half of the fingerprint are skipped',
      fix: `add environments.${name}.aws (region, loadBalancerName)`,
    });
  } else {
    const lb = ctx.env.aws.loadBalancerName ?? ctx.env.aws.loadBalancerArn;
    try {
      const p = await probeElbv2(ctx);
      if (!p.credentials.ok) {
        items.push(
          fail(
            name,
            `no AWS credentials: ${p.credentials.source}`,
            'set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or run where an instance role applies',
          ),
        );
      } else {
        items.push(ok(name, `AWS credentials: ${p.credentials.source}`));
        const denied = p.calls.filter((c) => !c.ok);
        const allowed = p.calls.filter((c) => c.ok).map((c) => c.action);
        if (!denied.length)
          items.push(
            ok(name, `ELBv2 ${lb}: ${allowed.length} Describe* calls answered (${allowed.join(', ')})`),
          );
        for (const d of denied) {
          const fix = /access denied/i.test(d.error ?? '')
            ? `allow elasticloadbalancing:${d.action} in the IAM policy of these credentials`
            : /not found/i.test(d.error ?? '')
              ? `check environments.${name}.aws.loadBalancerName and region`
              : `check environments.${name}.aws (endpoint, region) and the network path to AWS`;
          items.push(fail(name, `ELBv2 ${d.action}: ${d.error}`, fix));
        }
      }
    } catch (err) {
      items.push(fail(name, `AWS: ${messageOf(err)}`, `check environments.${name}.aws`));
    }
  }
  if (ctx.env.redis) {
    const where = redisWhere(ctx.env.redis.url);
    const t1 = performance.now();
    try {
      const redis = await connectRedis(ctx.env.redis.url, { timeoutMs: 3000 });
      redis.disconnect();
      const auth = /\/\/[^/@]*@/.test(ctx.env.redis.url) ? " (with the URL's password)" : '';
      items.push(ok(name, `${where} answered PING in ${ms(t1)}${auth}`));
    } catch (err) {
      const msg = messageOf(err);
      const fix = /authentication/i.test(msg)
        ? `check the password in environments.${name}.redis.url (or the variable it comes from)`
        : `is Redis reachable only inside the VPC? run parity there (examples/nightly.k8s.yaml), or check the security group`;
      items.push(fail(name, msg, fix));
    }
  } else {
    items.push({
      status: 'warn',
      area: name,
      message: 'no redis config: sessions.shared-redis is skipped',
      fix: `add environments.${name}.redis.url`,
    });
  }
  return items;
}

/** Targets failover drills left out of this environment: loud lines first (log), and one item each. */
function leftOutItems(
  config: ParityConfig,
  name: string,
  configFile: string | undefined,
  log: (line: string) => void,
): DoctorItem[] {
  const cmd = restoreCommand(name, configFile);
  return pendingRestores(config, name).map((p) => {
    for (const line of leftOutLines(p, cmd)) log(line);
    const r = p.record;
    return p.live
      ? {
          status: 'warn' as const,
          area: name,
          message: `a failover drill (pid ${r.pid}) has ${r.target.id} out right now`,
        }
      : fail(
          name,
          `${r.target.id} was left out of its target group by a failover drill that did not finish (deregistered ${r.deregisteredAt})`,
          cmd,
        );
  });
}

export async function runDoctor(
  opts: { config?: string; env?: string; log?: (line: string) => void } = {},
): Promise<DoctorReport> {
  const cfg = configItems(opts.config);
  const items = [...cfg.items];
  items.push(...labItems(!cfg.file));
  items.push(...folderItems(!cfg.file));
  let config = cfg.config;
  let source = '';
  if (!cfg.file) {
    const lab = labStatus(defaultLabDir());
    if (lab.running && lab.state?.config) {
      config = parseConfig(readFileSync(lab.state.config, 'utf8'), lab.state.config);
      source = ' (the running embedded lab)';
    } else {
      items.push(ok('environments', 'the embedded lab is not running: the commands start it themselves'));
    }
  }
  if (config) {
    const names = opts.env ? [opts.env] : Object.keys(config.environments);
    // First, and loudly: what an interrupted drill left out.
    for (const name of names) items.push(...leftOutItems(config, name, cfg.file, opts.log ?? (() => {})));
    for (const name of names) {
      const envItems = await environmentItems(config, name);
      if (source) envItems[0] = { ...envItems[0], message: envItems[0].message + source };
      items.push(...envItems);
    }
  }
  const clean = items.map((i) => ({
    ...i,
    message: scrub(i.message),
    ...(i.fix ? { fix: scrub(i.fix) } : {}),
  }));
  const fails = clean.filter((i) => i.status === 'fail');
  const exitCode = fails.some((i) => i.exit === 2) ? 2 : fails.length ? 3 : 0;
  return { items: clean, exitCode };
}

const ICON = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;

/** "FAIL staging: ... → what to do" */
export function formatItem(i: DoctorItem): string {
  return `${ICON[i.status]} ${i.area}: ${i.message}${i.fix ? ` → ${i.fix}` : ''}`;
}
