// journey.upload-analyze against the lab's real HAProxy and app instances: the clean lab (one
// shared data folder) passes; local-uploads (a folder per instance) fails on the hop while the
// session checks pass; sync-lag (a delayed copy to the peer) never settles within the lab
// config's window, and passes with a longer one, its evidence showing the lag.
import { afterAll, describe, expect, it } from 'vitest';
import { targetContext } from '../src/contract/target.js';
import { journeyCheck, type StepRecord, type VariantRun } from '../src/checks/journey/journey.js';
import { runSessionProbe, sessionsSharedHttp, sessionsSharedRedis } from '../src/checks/sessions.js';
import type { CheckResult } from '../src/contract/result.js';
import type { TargetContext } from '../src/contract/target.js';
import { loadConfigFile } from '../src/config/load.js';
import type { Journey } from '../src/config/schema.js';
import { closeHttp } from '../src/http/client.js';
import { loadFaults } from '../src/lab/faults.js';
import { LAB_SETTLE_SECONDS } from '../src/lab/uploads.js';
import { useLab, type LabHandle } from './helpers/lab.js';
import { stagingOnly } from './helpers/topology.js';

const A = 'i-0a57a91e0000000a1';
const B = 'i-0a57a91e0000000b2';
const staging = (lab: LabHandle): TargetContext =>
  targetContext(loadConfigFile(lab.state.config!), 'staging');
const journeyOf = (ctx: TargetContext): Journey =>
  ctx.config.journeys.find((j) => j.name === 'upload-analyze')!;
const expectStatus = (r: CheckResult, status: CheckResult['status']) =>
  expect(r.status, `${r.id}: ${r.diagnosis}`).toBe(status);
const variants = (r: CheckResult) => r.evidence.variants as { pinned: VariantRun; hopping: VariantRun };
const stepOf = (v: VariantRun, name: string) => v.steps.find((s) => s.step === name)!;

afterAll(() => closeHttp());

describe('clean lab (one shared data folder)', () => {
  const lab = useLab({ topology: stagingOnly() });

  it('the lab config declares upload-analyze; it passes pinned and hopping, with evidence per step and variant', async () => {
    const ctx = staging(lab);
    const journey = journeyOf(ctx);
    expect(journey.steps.map((s) => [s.name, s.on, s.settleSeconds])).toEqual([
      ['upload', 'same', undefined],
      ['analyze', 'other', LAB_SETTLE_SECONDS],
    ]);
    const r = await journeyCheck(ctx, journey);
    expectStatus(r, 'pass');
    expect(r.id).toBe('journey.upload-analyze');
    const { pinned, hopping } = variants(r);
    expect(pinned.outcome).toBe('passed');
    expect(pinned.instances).toHaveLength(1);
    expect(hopping.outcome).toBe('passed');
    expect(new Set(hopping.instances)).toEqual(new Set([A, B]));
    for (const v of [pinned, hopping]) {
      for (const s of v.steps) {
        expect(s).toMatchObject({ ok: true, status: 200, tries: 1, lagMs: 0 });
        expect([A, B]).toContain(s.instance);
        expect(s.latencyMs).toBeGreaterThanOrEqual(0);
      }
    }
    const hop = stepOf(hopping, 'analyze').hop!;
    expect(hop.from).toBe(stepOf(hopping, 'upload').instance);
    expect(Object.keys(hop.landed).at(-1)).toBe(stepOf(hopping, 'analyze').instance);
    expect(r.diagnosis).toMatch(
      /^upload-analyze: passed pinned \(on i-\w+\) and hopping \(upload on i-\w+ → analyze on i-\w+\)$/,
    );
    // Both users' sessions were deleted from staging's Redis afterwards (the probe's rule).
    expect((r.evidence as Record<string, unknown>).cleanup).toEqual({ deleted: 2 });
    // No secrets in the evidence: no cookie, token or sid.
    expect(JSON.stringify(r.evidence)).not.toMatch(/AWSALB=|chatmrpt_session|Bearer|tok_/);
  });

  it('is refused (skipped, nothing sent) on role: production without the override', async () => {
    const ctx = staging(lab);
    const prod = { ...ctx, env: { ...ctx.env, role: 'production' as const } };
    const r = await journeyCheck(prod, journeyOf(ctx));
    expectStatus(r, 'skip');
    expect(r.diagnosis).toMatch(
      /refused: POST to a role: production environment .*--allow-production-writes/,
    );
    expect(r.evidence).toEqual({ journey: 'upload-analyze' });
  });
});

describe('fault local-uploads (a data folder per instance)', () => {
  const lab = useLab({ faults: ['local-uploads'], topology: stagingOnly() });

  it('the journey fails on the hop, naming the step, both instances and that the data did not follow the session; sessions pass', async () => {
    const ctx = staging(lab);
    const probe = runSessionProbe(ctx);
    expectStatus(await sessionsSharedHttp(ctx, probe), 'pass');
    expectStatus(await sessionsSharedRedis(ctx, probe), 'pass');

    const r = await journeyCheck(ctx, journeyOf(ctx));
    expectStatus(r, 'fail');
    const { pinned, hopping } = variants(r);
    expect(pinned.outcome).toBe('passed');
    expect(hopping).toMatchObject({ outcome: 'step-failed', atStep: 'analyze', session: { followed: true } });
    const up = stepOf(hopping, 'upload');
    const an = stepOf(hopping, 'analyze');
    expect(an.instance).not.toBe(up.instance);
    expect(an).toMatchObject({ ok: false, status: 404, lagMs: null, settleSeconds: LAB_SETTLE_SECONDS });
    expect(an.tries).toBeGreaterThan(1); // repeated within its settle window, on the same instance
    expect(an.alsoAnsweredFrom).toBeUndefined();
    expect(r.diagnosis).toContain(
      `works pinned, but step "analyze" fails on ${an.instance} after "upload" on ${up.instance}: never settled within ${LAB_SETTLE_SECONDS} s`,
    );
    expect(r.diagnosis).toMatch(
      new RegExp(
        `the session is shared but the data is not: it did not follow the session to ${an.instance}`,
      ),
    );
    // The fault's declared cause matches what the check says.
    const fault = loadFaults().find((f) => f.name === 'local-uploads')!;
    expect(r.diagnosis).toMatch(new RegExp(fault.causes!['journey.upload-analyze'], 'i'));
  }, 60_000);

  it('without settleSeconds the failing step is sent once', async () => {
    const ctx = staging(lab);
    const j = journeyOf(ctx);
    const journey: Journey = { ...j, steps: j.steps.map((s) => ({ ...s, settleSeconds: undefined })) };
    const r = await journeyCheck(ctx, journey);
    expectStatus(r, 'fail');
    const an = stepOf(variants(r).hopping, 'analyze');
    expect(an).toMatchObject({ tries: 1, status: 404, ok: false });
    expect(an.settleSeconds).toBeUndefined();
    expect(r.diagnosis).toMatch(
      /works pinned, but step "analyze" fails on i-\w+ after "upload" on i-\w+: answered 404 \(expected 200\): "parity[0-9a-f]{12}\.csv" is not in instance\/uploads\/\w+…\/ on i-\w+ \(uploaded through i-\w+\); the session is shared but the data is not/,
    );
  }, 60_000);
});

describe('fault sync-lag (uploads copied to the peer later)', () => {
  const lab = useLab({ faults: ['sync-lag'], topology: stagingOnly() });
  const delayMs = 8000;

  it("the copy is slower than the lab config's settleSeconds (the fault's premise)", () => {
    const fault = loadFaults().find((f) => f.name === 'sync-lag')!;
    const patch = fault.patch as { app: { uploads: { syncDelaySeconds: number } } };
    expect(patch.app.uploads.syncDelaySeconds * 1000).toBe(delayMs);
    expect(delayMs).toBeGreaterThan(LAB_SETTLE_SECONDS * 1000);
  });

  it('with a settleSeconds above the lag the journey passes, and its evidence shows the lag', async () => {
    const ctx = staging(lab);
    const j = journeyOf(ctx);
    const journey: Journey = {
      ...j,
      steps: j.steps.map((s) => (s.name === 'analyze' ? { ...s, settleSeconds: 20 } : s)),
    };
    const r = await journeyCheck(ctx, journey);
    expectStatus(r, 'pass');
    const { hopping } = variants(r);
    const up: StepRecord = stepOf(hopping, 'upload');
    const an: StepRecord = stepOf(hopping, 'analyze');
    expect(an.ok).toBe(true);
    expect(an.tries).toBeGreaterThan(1);
    expect(an.lagMs).toBeGreaterThan(0);
    // Causal, not timed: the copy starts 8 s after the upload was stored, so the passing
    // answer came at least 8 s after the upload was sent.
    expect(an.atMs + an.lagMs!).toBeGreaterThanOrEqual(up.atMs + delayMs);
    expect(r.diagnosis).toMatch(
      /; "analyze" on i-\w+ passed after a lag of \d+\.\d s \(\d+ tries, settleSeconds 20\)$/,
    );
  }, 60_000);

  it("with the lab config's settleSeconds it never settles", async () => {
    const ctx = staging(lab);
    const r = await journeyCheck(ctx, journeyOf(ctx));
    expectStatus(r, 'fail');
    expect(r.diagnosis).toMatch(
      new RegExp(
        `step "analyze" fails on i-\\w+ after "upload" on i-\\w+: never settled within ${LAB_SETTLE_SECONDS} s`,
      ),
    );
    expect(stepOf(variants(r).hopping, 'analyze').lagMs).toBeNull();
  }, 60_000);
});

describe('identity from a JSON body (no identity headers)', () => {
  const lab = useLab({ topology: stagingOnly({ identityHeaders: false }) });

  it('steps are attributed to the instance the sticky cookie pins; the hop still lands on the other one', async () => {
    const base = staging(lab);
    const ctx: TargetContext = {
      ...base,
      app: { ...base.app, identity: { path: '/whoami', json: '/node' } },
    };
    const r = await journeyCheck(ctx, journeyOf(ctx));
    expectStatus(r, 'pass');
    const { pinned, hopping } = variants(r);
    expect(pinned.instances).toHaveLength(1);
    expect(new Set(hopping.instances)).toEqual(new Set([A, B]));
  });
});
