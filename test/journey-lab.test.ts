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
import { JourneySchema } from '../src/config/schema.js';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every file under `dir` (sorted, full paths). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name))
    .sort();
}
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
      ['files', 'same', undefined],
      ['chat', 'same', undefined],
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
      /^upload-analyze: passed pinned \(on i-\w+\) and hopping \(upload on i-\w+ → analyze on i-\w+ → files on i-\w+ → chat on i-\w+\)$/,
    );
    // Both users' sessions were deleted from staging's Redis afterwards (the probe's rule).
    expect((r.evidence as Record<string, unknown>).cleanup).toEqual({ deleted: 2 });
    // No secrets in the evidence: no cookie, token or sid.
    expect(JSON.stringify(r.evidence)).not.toMatch(/AWSALB=|chatmrpt_session|Bearer|tok_/);
  });

  it("carries the upload's session_id to a later path, streams the chat incrementally, and its teardown leaves no upload behind", async () => {
    const ctx = staging(lab);
    const uploads = join(lab.dir, 'staging', 'data', 'instance', 'uploads');
    const before = filesUnder(uploads);
    const r = await journeyCheck(ctx, journeyOf(ctx));
    expectStatus(r, 'pass');
    const { pinned, hopping } = variants(r);
    for (const v of [pinned, hopping]) {
      expect(stepOf(v, 'upload').captured).toEqual(['session_id']);
      // The captured id went into the path: the app found the session's files by it.
      expect(stepOf(v, 'files')).toMatchObject({ ok: true, status: 200, path: '/api/uploads/{session_id}' });
      const chat = stepOf(v, 'chat').stream!;
      expect(chat).toMatchObject({ contentType: 'text/event-stream', ended: true, incremental: true });
      expect(chat.events).toBeGreaterThanOrEqual(3);
      // The reference app sends an event every 120 ms: the first is read well before the end.
      expect(chat.endMs - chat.firstEventMs!).toBeGreaterThanOrEqual(300);
    }
    const teardown = (
      r.evidence as { teardown: { variant: string; step: string; ok: boolean; status: number }[] }
    ).teardown;
    expect(teardown.map((t) => [t.variant, t.step, t.ok, t.status])).toEqual([
      ['pinned', 'clear', true, 200],
      ['hopping', 'clear', true, 200],
    ]);
    // Nothing of this run is left in the lab's (shared) data folder.
    expect(filesUnder(uploads)).toEqual(before);
    // The captured session ids are nowhere in the evidence or the diagnosis.
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/[0-9a-f]{32}/);
  });

  it('a capture that finds nothing fails its step, naming the capture; teardown still runs and says what it could not send', async () => {
    const ctx = staging(lab);
    const j = journeyOf(ctx);
    const journey: Journey = {
      ...j,
      steps: j.steps.map((s) =>
        s.name === 'upload' ? { ...s, capture: { session_id: { json: '/sessionId' } } } : s,
      ),
    };
    const r = await journeyCheck(ctx, journey);
    expectStatus(r, 'fail');
    const { pinned } = variants(r);
    expect(pinned).toMatchObject({ outcome: 'step-failed', atStep: 'upload' });
    expect(r.diagnosis).toMatch(
      /the workflow fails even on one instance: step "upload" on i-\w+ answered 200, but capture "session_id" found nothing \(json \/sessionId\)/,
    );
    // The clear needs no capture: it is sent for both users anyway.
    const teardown = (r.evidence as { teardown: { ok: boolean }[] }).teardown;
    expect(teardown.map((t) => t.ok)).toEqual([true, true]);
  });

  it('a session read that never shows the marker, even through the writing instance, is named as the read, not as unshared sessions', async () => {
    const base = staging(lab);
    const ctx: TargetContext = {
      ...base,
      app: {
        ...base.app,
        session: { ...base.app.session, read: { method: 'GET', path: '/health', contains: '{marker}' } },
      },
    };
    const probe = runSessionProbe(ctx);
    const http = await sessionsSharedHttp(ctx, probe);
    expectStatus(http, 'error');
    expect(http.diagnosis).toMatch(
      /^app\.session\.read does not observe the write: GET \/health through i-\w+, the instance that took the write \(POST \/upload\), answered 200 without "parity[0-9a-f]{12}"/,
    );
    expect(http.diagnosis).not.toMatch(/not shared/);
    expect((http.evidence as { outcome: string }).outcome).toBe('read-blind');
    // The write itself did store the marker in the session: the Redis check still passes.
    expectStatus(await sessionsSharedRedis(ctx, probe), 'pass');
  });

  it("a sign-up through one instance with {marker} as username passes ^[a-zA-Z0-9_]+$ (CSRF token captured from the page); the sign-in through the other fails in the app's own words", async () => {
    const ctx = staging(lab);
    const password = 'LabPass8chars';
    // The rule is the app's: the old marker shape is refused, in its words.
    const old = await fetch(`${ctx.env.url}/auth/signup`, {
      method: 'POST',
      body: JSON.stringify({ username: 'parity-0a1b2c3d4e5f', email: 'x@example.com', password }),
    });
    expect([old.status, await old.json()]).toEqual([
      400,
      { success: false, message: 'Username can only contain letters, numbers, and underscores' },
    ]);
    const journey: Journey = JourneySchema.parse({
      name: 'signup-signin',
      steps: [
        {
          name: 'form',
          request: { path: '/auth/signup' },
          capture: { csrf: { html: 'input[name=csrf_token]', attr: 'value' } },
        },
        {
          name: 'signup',
          request: {
            method: 'POST',
            path: '/auth/signup',
            headers: { 'X-CSRFToken': '{csrf}' },
            json: { username: '{marker}', email: '{marker}@example.com', password },
          },
          expect: { status: 201, json: { '/success': true } },
        },
        {
          name: 'signin',
          on: 'other',
          request: { method: 'POST', path: '/auth/login', json: { email: '{marker}@example.com', password } },
          expect: { json: { '/success': true } },
        },
      ],
    });
    const r = await journeyCheck(ctx, journey);
    expectStatus(r, 'fail');
    const { pinned, hopping } = variants(r);
    expect(pinned.outcome).toBe('passed');
    expect(stepOf(pinned, 'form').captured).toEqual(['csrf']);
    expect(hopping).toMatchObject({ outcome: 'step-failed', atStep: 'signin' });
    expect(stepOf(hopping, 'signin')).toMatchObject({ status: 401, answer: 'Invalid email or password' });
    expect(r.diagnosis).toMatch(
      /works pinned, but step "signin" fails on i-\w+ after "form" on i-\w+, "signup" on i-\w+: answered 401 \(expected 2xx\): Invalid email or password; the data did not follow the user/,
    );
  });

  it('a binary file (a zip) given by path arrives byte for byte', async () => {
    const ctx = staging(lab);
    const zip = fileURLToPath(new URL('./fixtures/wards.zip', import.meta.url));
    const journey: Journey = JourneySchema.parse({
      name: 'zip',
      steps: [
        {
          name: 'upload',
          request: { method: 'POST', path: '/upload', form: { csv_file: { path: zip } } },
          expect: { json: { '/filename': 'wards.zip' } },
        },
      ],
    });
    const uploads = join(lab.dir, 'staging', 'data', 'instance', 'uploads');
    const before = new Set(filesUnder(uploads));
    const r = await journeyCheck(ctx, journey);
    expectStatus(r, 'pass');
    const added = filesUnder(uploads).filter((f) => !before.has(f));
    expect(added.map((f) => basename(f))).toEqual(['wards.zip', 'wards.zip']); // pinned and hopping
    const want = readFileSync(zip);
    for (const f of added) expect(readFileSync(f).equals(want)).toBe(true);
    for (const f of added) rmSync(dirname(f), { recursive: true, force: true });
  });

  it('a teardown that fails never turns the pass into a fail: it is in the evidence and the diagnosis', async () => {
    const ctx = staging(lab);
    const j = journeyOf(ctx);
    const journey: Journey = {
      ...j,
      teardown: [...j.teardown, { name: 'gone', request: { method: 'POST', path: '/api/nope' }, expect: {} }],
    };
    const r = await journeyCheck(ctx, journey);
    expectStatus(r, 'pass');
    const teardown = (r.evidence as { teardown: { step: string; ok: boolean; status: number }[] }).teardown;
    expect(teardown.map((t) => [t.step, t.ok, t.status])).toEqual([
      ['clear', true, 200],
      ['gone', false, 404],
      ['clear', true, 200],
      ['gone', false, 404],
    ]);
    expect(r.diagnosis).toMatch(
      /; teardown left data behind: step "gone" for the pinned user answered 404 \(expected 2xx\): not found \(2 teardown steps failed\)$/,
    );
  });

  it('a journey whose only write is its teardown is refused on role: production, before anything is sent', async () => {
    const ctx = staging(lab);
    const prod = { ...ctx, env: { ...ctx.env, role: 'production' as const, url: 'http://127.0.0.1:1' } };
    const journey: Journey = JourneySchema.parse({
      name: 'reads',
      steps: [
        { name: 'status', request: { path: '/api/session/status' }, capture: { s: { json: '/servedBy' } } },
      ],
      teardown: [{ name: 'clear', request: { method: 'POST', path: '/api/data/clear' } }],
    });
    const r = await journeyCheck(prod, journey);
    expectStatus(r, 'skip');
    expect(r.diagnosis).toMatch(/^reads: refused: POST to a role: production environment/);
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

describe('fault buffered-stream (the instances hold every event until the end)', () => {
  const lab = useLab({ faults: ['buffered-stream'], topology: stagingOnly() });

  it('fails exactly the streaming step, with a diagnosis naming buffering and the times in the evidence', async () => {
    const ctx = staging(lab);
    const r = await journeyCheck(ctx, journeyOf(ctx));
    expectStatus(r, 'fail');
    const { pinned } = variants(r);
    expect(pinned).toMatchObject({ outcome: 'step-failed', atStep: 'chat' });
    expect(pinned.steps.map((s) => [s.step, s.ok])).toEqual([
      ['upload', true],
      ['analyze', true],
      ['files', true],
      ['chat', false],
    ]);
    const chat = stepOf(pinned, 'chat');
    expect(chat.status).toBe(200);
    expect(chat.stream).toMatchObject({ contentType: 'text/event-stream', ended: true, incremental: false });
    expect(chat.stream!.events).toBeGreaterThanOrEqual(3);
    // Held to the end: the first event came with the end of the stream.
    expect(chat.stream!.endMs - chat.stream!.firstEventMs!).toBeLessThan(10);
    expect(r.diagnosis).toMatch(
      /step "chat" on i-\w+ the stream was buffered: all \d+ events arrived at \d+ ms/,
    );
    const fault = loadFaults().find((f) => f.name === 'buffered-stream')!;
    expect(r.diagnosis).toMatch(new RegExp(fault.causes!['journey.upload-analyze'], 'i'));
    // The teardown still ran for both users.
    expect((r.evidence as { teardown: { ok: boolean }[] }).teardown.map((t) => t.ok)).toEqual([true, true]);
  });
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
