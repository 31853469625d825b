// junit.xml for CI test tabs: one <testsuite> per environment, one <testcase> per check
// (classname = env, name = check id); fail → <failure>, error → <error>, skip → <skipped>.
import { evidenceOf } from '../contract/evidence.js';
import type { CheckResult } from '../contract/result.js';
import type { RunResults } from './model.js';

// Characters XML 1.0 cannot carry at all, even escaped.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlText(s: string): string {
  return s.replace(INVALID_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function xmlAttr(s: string): string {
  return xmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);
const MAX_EVIDENCE = 2000;

function evidenceText(c: CheckResult): string {
  const json = JSON.stringify(c.evidence) ?? '{}';
  return json.length > MAX_EVIDENCE
    ? `${json.slice(0, MAX_EVIDENCE)}\n… (truncated, see results.json)`
    : json;
}

function testcase(c: CheckResult): string {
  const open = `    <testcase classname="${xmlAttr(c.env)}" name="${xmlAttr(c.id)}" time="${seconds(c.durationMs)}"`;
  const body = `${c.diagnosis}\n\nevidence: ${evidenceText(c)}`;
  switch (c.status) {
    case 'pass':
      return `${open}/>`;
    case 'skip':
      return `${open}>\n      <skipped message="${xmlAttr(c.diagnosis)}"/>\n    </testcase>`;
    case 'fail':
    case 'error': {
      const tag = c.status === 'fail' ? 'failure' : 'error';
      return `${open}>\n      <${tag} message="${xmlAttr(c.diagnosis)}" type="${c.status}">${xmlText(body)}</${tag}>\n    </testcase>`;
    }
  }
}

function counts(checks: CheckResult[]) {
  const n = (s: CheckResult['status']) => checks.filter((c) => c.status === s).length;
  const time = seconds(checks.reduce((t, c) => t + c.durationMs, 0));
  return `tests="${checks.length}" failures="${n('fail')}" errors="${n('error')}" skipped="${n('skip')}" time="${time}"`;
}

export function renderJunit(r: RunResults): string {
  const envs = [...new Set(r.checks.map((c) => c.env))];
  const suites = envs.map((env) => {
    const checks = r.checks.filter((c) => c.env === env);
    const meta = r.environments[env];
    const deploy = checks.find((c) => c.id === 'deploy.consistency');
    const expected = deploy && evidenceOf(deploy, 'deploy.consistency')?.expectedVersion;
    const props = [
      ['runId', r.runId],
      ['mode', r.mode],
      ...(meta ? [['url', meta.url] as const, ['role', meta.role] as const] : []),
      ...(expected ? [['expectedVersion', expected] as const] : []),
    ]
      .map(([k, v]) => `      <property name="${xmlAttr(k)}" value="${xmlAttr(v)}"/>`)
      .join('\n');
    return [
      `  <testsuite name="${xmlAttr(`parity ${r.mode}: ${env}`)}" ${counts(checks)} timestamp="${xmlAttr(r.startedAt)}">`,
      `    <properties>\n${props}\n    </properties>`,
      ...checks.map(testcase),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlAttr(`parity ${r.mode} ${r.runId}`)}" ${counts(r.checks)}>`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
