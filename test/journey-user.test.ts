// The journey user/step runner against the lab's real HAProxy and app instances: a fresh
// user is pinned, moved to the other instance by harmless GETs only, and each step is sent
// once unless it declares settleSeconds (then repeated on the same instance).
import { afterAll, describe, expect, it } from 'vitest';
import { targetContext } from '../src/contract/target.js';
import { findOtherInstance, newJourneyUser, runStep } from '../src/checks/journey/user.js';
import type { TargetContext } from '../src/contract/target.js';
import { loadConfigFile } from '../src/config/load.js';
import { JourneyStepSchema, type JourneyStep } from '../src/config/schema.js';
import { closeHttp } from '../src/http/client.js';
import { useLab } from './helpers/lab.js';
import { stagingOnly } from './helpers/topology.js';

const lab = useLab({ topology: stagingOnly() });
const ctx = (over: Partial<TargetContext> = {}): TargetContext => ({
  ...targetContext(loadConfigFile(lab.state.config!), 'staging'),
  ...over,
});
const step = (raw: unknown): JourneyStep => JourneyStepSchema.parse(raw);
const upload = step({
  name: 'upload',
  request: {
    method: 'POST',
    path: '/upload',
    form: { csv_file: { filename: '{marker}.csv', content: 'ward,value\nA,1\n' } },
  },
  expect: { status: 200 },
});
const status = (over: Record<string, unknown> = {}) =>
  step({
    name: 'status',
    request: { path: '/api/session/status' },
    expect: { contains: '{marker}' },
    ...over,
  });

afterAll(() => closeHttp());

describe('journey user', () => {
  it('a fresh user is pinned to the instance that first answered; same-instance steps stay there', async () => {
    const c = ctx();
    const user = await newJourneyUser(c);
    const ids = lab.state.environments.staging.instances.map((i) => i.id);
    expect(ids).toContain(user.instance);
    const a = user.instance;
    const up = await runStep(c, user, upload);
    expect(up).toMatchObject({ ok: true, instance: a, status: 200, tries: 1, lagMs: 0 });
    const read = await runStep(c, user, status());
    expect(read).toMatchObject({ ok: true, instance: a, tries: 1 });
    expect(user.marker).toMatch(/^parity[0-9a-f]{12}$/);
    expect(JSON.stringify(up)).not.toContain(user.marker); // the outcome carries no request data
  });

  it('findOtherInstance moves the user with GETs, keeping the session cookie, and pins it there', async () => {
    const c = ctx();
    const user = await newJourneyUser(c);
    const a = user.instance;
    await runStep(c, user, upload);
    const other = await findOtherInstance(c, user, a);
    expect(other.pinned).toBe(true);
    expect(other.instance).toBeDefined();
    expect(other.instance).not.toBe(a);
    expect(other.landed.at(-1)).toBe(other.instance);
    // Pinned: several steps in a row all land there, and the session (marker) came along.
    for (let i = 0; i < 3; i++) {
      expect(await runStep(c, user, status())).toMatchObject({ ok: true, instance: other.instance });
    }
  });

  it('a step without settleSeconds is sent once; with it, repeated on the same instance until the window ends', async () => {
    const c = ctx();
    const user = await newJourneyUser(c);
    const never = { expect: { contains: 'no-such-text-{marker}' } };
    const once = await runStep(c, user, status(never));
    expect(once).toMatchObject({ ok: false, tries: 1, lagMs: null, status: 200 });
    expect(once.reason).toMatch(/^answered 200 without "no-such-text-parity[0-9a-f]{12}"/);
    const settled = await runStep(c, user, status({ ...never, settleSeconds: 1 }));
    expect(settled.ok).toBe(false);
    expect(settled.tries).toBeGreaterThan(1);
    expect(settled.finishedAt - settled.startedAt).toBeGreaterThanOrEqual(1000);
    expect(settled.instance).toBe(user.instance);
    expect(settled.alsoAnsweredFrom).toBeUndefined();
  });

  it('the production interlock refuses a writing step before anything is sent', async () => {
    const c = ctx();
    const prod = { ...c, env: { ...c.env, role: 'production' as const } };
    const user = await newJourneyUser(prod); // no login configured: only a GET went out
    await expect(runStep(prod, user, upload)).rejects.toThrow(/refused: POST to a role: production/);
    expect(await runStep(prod, user, status({ expect: {} }))).toMatchObject({ ok: true });
  });
});
