// deploy.watch's verdict over made-up samples (test/fixtures/watch-samples.ts): each way a
// deploy costs users something is named with the user, the instance and the time.
import { describe, expect, it } from 'vitest';
import { judgeWatch } from '../src/checks/watch-judge.js';
import { deploySamples, WATCH_META } from './fixtures/watch-samples.js';

describe('judgeWatch', () => {
  it('passes a drained deploy: no errors, sessions kept, re-pins only while an instance was out, versions in order, the mixed window', () => {
    const v = judgeWatch(deploySamples(), WATCH_META);
    expect(v.status, v.diagnosis).toBe('pass');
    expect(v.evidence.errorCount).toBe(0);
    expect(v.evidence.sessions).toEqual({ tracked: 4, lost: [] });
    expect(v.evidence.moves.length).toBeGreaterThan(0);
    expect(v.evidence.moves.every((m) => m.fromWasOut)).toBe(true);
    expect(v.evidence.perUser.map((u) => u.versions.map((x) => x.version))).toEqual(
      Array(4).fill(['1.4.2', '1.5.0']),
    );
    expect(v.evidence.mixedWindow).toEqual({ fromMs: 8000, toMs: 9750, versions: ['1.4.2', '1.5.0'] });
    const a = v.evidence.instances.find((i) => i.id === 'i-a')!;
    expect(a.outages).toEqual([
      { stoppedMs: 4750, answeredMs: 8000, versionBefore: '1.4.2', versionAfter: '1.5.0' },
    ]);
    expect(v.diagnosis).toMatch(
      /^0 errors in \d+ requests from 4 users over 20\.0 s; sessions kept 4\/4; \d+ re-pins \(longest 0\.\d s\); versions 1\.4\.2 → 1\.5\.0, both answering for 1\.8 s \(12:00:08–12:00:09\); i-a out 12:00:04–12:00:08 \(1\.4\.2 → 1\.5\.0\)/,
    );
    expect(v.diagnosis).toContain('"./deploy.sh" exited 0 after 16.9 s');
  });

  it('names errors by instance and second', () => {
    const v = judgeWatch(deploySamples({ errorsOnA: [2000, 3000] }), WATCH_META);
    expect(v.status).toBe('fail');
    // An ALB error names no instance: it is filed under the one the user was pinned to.
    expect(v.diagnosis).toMatch(/^8 user-visible errors of \d+ requests: i-a HTTP 503×8 at 12:00:02 \(s 2\)/);
    expect(v.evidence.errors).toEqual([
      { second: 2, instance: 'i-a', kind: 'HTTP 503', count: 8, users: [1, 3] },
    ]);
    expect(v.evidence.timeline[2].errors).toBe(8);
  });

  it('names the user whose session was lost, where and when', () => {
    const v = judgeWatch(deploySamples({ loseSessionsOnBAfter: 9000 }), WATCH_META);
    expect(v.status).toBe('fail');
    expect(v.diagnosis).toMatch(/^user 1's session lost at 12:00:09 on i-b \(the marker it wrote is gone\)/);
    expect(v.evidence.sessions.lost.map((l) => l.user).sort()).toEqual([1, 2, 3, 4]);
  });

  it('names a flip-flop: one user served the new version, then the old', () => {
    const v = judgeWatch(deploySamples({ rollback: true }), WATCH_META);
    expect(v.status).toBe('fail');
    expect(v.diagnosis).toMatch(
      /user \d saw 1\.4\.2 at 12:00:\d\d → 1\.5\.0 at 12:00:\d\d → 1\.4\.2 at 12:00:14 \(a flip-flop: mixed versions served to one user\)/,
    );
    expect(v.evidence.perUser.some((u) => u.flipFlop)).toBe(true);
  });

  it('names a sticky break: moved although the instance kept answering', () => {
    const v = judgeWatch(deploySamples({ stickyBreak: true }), WATCH_META);
    expect(v.status).toBe('fail');
    expect(v.diagnosis).toMatch(
      /user 2 moved from i-b to i-a at 12:00:04 although i-b was still answering \(a sticky break\)/,
    );
  });

  it('a command that failed, or a stop, fails the watch first', () => {
    const failed = judgeWatch(deploySamples(), {
      ...WATCH_META,
      command: { ...WATCH_META.command, exitCode: 5, endMs: 3000 },
    });
    expect(failed.diagnosis).toMatch(/^the command "\.\/deploy\.sh" exited 5 after 2\.9 s;/);
    const stopped = judgeWatch(deploySamples(), { ...WATCH_META, interrupted: 'SIGINT' });
    expect(stopped.status).toBe('fail');
    expect(stopped.diagnosis).toMatch(/^interrupted by SIGINT after 20\.0 s \(partial\)/);
    expect(judgeWatch([], WATCH_META).diagnosis).toMatch(/no request was sent/);
  });
});
