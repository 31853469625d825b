// deploy.watch's verdict over made-up samples (test/fixtures/watch-samples.ts): each way a
// deploy costs users something is named with the user, the instance and the time.
import { describe, expect, it } from 'vitest';
import { judgeWatch } from '../src/checks/watch-judge.js';
import { deploySamples, journeyLoops, WATCH_META } from './fixtures/watch-samples.js';

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

  it('journey users: loops that pass are counted, and their steps are in the timeline', () => {
    const v = judgeWatch(deploySamples(), { ...WATCH_META, journeyUsers: 2 }, journeyLoops());
    expect(v.status, v.diagnosis).toBe('pass');
    const j = v.evidence.journeys!;
    expect(j).toMatchObject({ users: 2, failureCount: 0, failures: [], teardownFailed: 0 });
    expect(j.loops).toBe(10);
    expect(j.requests).toBe(30);
    expect(j.perUser.map((u) => u.instances)).toEqual([['i-a', 'i-b'], ['i-b']]);
    expect(v.diagnosis).toContain('2 journey users: 10/10 loops passed');
    // Second 1: the 4 sticky users and the new user (5 × 4 answers), user 1's analyze (1.5 s)
    // and user 2's upload (1.0 s).
    const row = v.evidence.timeline[1];
    expect(row.perInstance['i-a'] + row.perInstance['i-b']).toBe(22);
    // Without journey users the evidence has no journeys field (additive).
    expect(judgeWatch(deploySamples(), WATCH_META).evidence.journeys).toBeUndefined();
  });

  it('names a journey user whose work did not survive its move: the journey, the loop, the step, both instances, the time', () => {
    const v = judgeWatch(
      deploySamples(),
      { ...WATCH_META, journeyUsers: 2 },
      journeyLoops({ localUploads: true }),
    );
    expect(v.status).toBe('fail');
    expect(v.diagnosis).toMatch(
      /^journey user 1's work did not survive its move to another instance: "upload-analyze" loop 2, step "analyze" failed at 12:00:05 \(s 5\) on i-b after "upload" on i-a: answered 404 \(expected 200\): "1\.csv" is not on i-b/,
    );
    const f = v.evidence.journeys!.failures;
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({
      user: 1,
      loop: 2,
      step: 'analyze',
      instance: 'i-b',
      movedFrom: ['i-a'],
      workLost: true,
      second: 5,
    });
    expect(f[0].earlier).toEqual([{ step: 'upload', instance: 'i-a' }]);
    expect(v.evidence.timeline[5].errors).toBe(1);
  });

  it('a journey step that fails without a move is named too, and fails the watch', () => {
    const loops = journeyLoops();
    const bad = loops.find((l) => l.user === 2 && l.loop === 3)!;
    bad.steps[2] = { ...bad.steps[2], ok: false, status: 500, reason: 'answered 500 (expected 200): boom' };
    const v = judgeWatch(deploySamples(), { ...WATCH_META, journeyUsers: 2 }, loops);
    expect(v.status).toBe('fail');
    expect(v.diagnosis).toMatch(
      /^journey user 2: "upload-analyze" loop 3, step "files" failed at 12:00:10 \(s 10\) on i-b: answered 500 \(expected 200\): boom;/,
    );
    expect(v.evidence.journeys!.failures[0]).toMatchObject({ workLost: false, movedFrom: [] });
  });
});
