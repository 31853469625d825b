// Shards merge exactly: histograms encoded in one run and added in another give the same
// counts and percentiles as one histogram of every value.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeHistogram,
  encodeHistogram,
  mergeHistograms,
  newHistogram,
  recordMs,
  summarize,
} from '../src/load/histogram.js';
import type { LoadExpectations } from '../src/load/plan.js';
import type { InstanceData, LoadData } from '../src/load/result.js';
import { fromShardFile, mergeParts, toShardFile, type LoadPart } from '../src/load/shard.js';
import { summarizeLoad } from '../src/load/summary.js';

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100];

function histOf(values: number[]) {
  const h = newHistogram();
  for (const v of values) recordMs(h, v);
  return h;
}

const exp: LoadExpectations = {
  env: 'staging',
  expectedInstances: 2,
  thresholds: { maxErrorRate: 0.01, p99Ms: 800, minShare: 0.4, alpha: 0.001 },
  identityHeader: 'x-instance-id',
  stickyCookie: 'AWSALB',
};

function slot(latencies: number[], codes: Record<string, number>): InstanceData {
  return { count: latencies.length, statusCodes: codes, latency: histOf(latencies) };
}

function run(seed: number, shard: { index: number; count: number }, sticky = false): LoadPart {
  const lat = (n: number, k: number) =>
    Array.from({ length: n }, (_, i) => ((i * 7919 + seed * k) % 5000) / 97 + 0.05);
  const data: LoadData = {
    mode: sticky ? 'sticky' : 'distribution',
    url: 'http://127.0.0.1:1/ping',
    connections: 5,
    startedAt: `2026-01-01T00:00:0${seed}.000Z`,
    finishedAt: `2026-01-01T00:00:1${seed}.000Z`,
    durationSeconds: 10 + seed / 10,
    rps: 100 * seed,
    responses: 300 + seed * 2,
    transportErrors: seed,
    timeouts: 1,
    instances: {
      'i-a': slot(lat(150 + seed, 3), { '200': 150 + seed - 1, '503': 1 }),
      'i-b': slot(lat(150, 5), { '200': 150 }),
    },
    unattributed: slot(lat(seed, 11), { '503': seed }),
    ...(sticky
      ? {
          sticky: {
            clients: 5,
            clientsWithCookie: 5,
            pinned: { 'i-a': 3, 'i-b': 2 },
            violations: seed,
            clientsWithViolations: 1,
          },
        }
      : {}),
    abandoned: 0,
    runs: 1,
  };
  return { shard, totalConnections: 15, expectations: exp, data };
}

/** Through JSON, as a file would go. */
const viaFile = (p: LoadPart, source = 'part.json') => ({
  part: fromShardFile(JSON.parse(JSON.stringify(toShardFile(p, p.data))), source),
  source,
});

describe('HDR histograms', () => {
  it('keep µs resolution of fractional milliseconds', () => {
    const h = histOf([0.123, 0.1234, 1.5, 2.25]);
    expect(summarize(h).minMs).toBe(0.123);
    expect(summarize(h).count).toBe(4);
    expect(h.getValueAtPercentile(100)).toBeGreaterThanOrEqual(2250);
    expect(h.getValueAtPercentile(100)).toBeLessThanOrEqual(2252); // 3 significant digits
  });

  it('encode, decode and add into exactly the histogram of all values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: 0.001, max: 30_000, noNaN: true }), { maxLength: 200 }), {
          minLength: 1,
          maxLength: 6,
        }),
        (parts) => {
          const whole = histOf(parts.flat());
          const merged = mergeHistograms(parts.map((p) => decodeHistogram(encodeHistogram(histOf(p)))));
          expect(merged.totalCount).toBe(whole.totalCount);
          for (const q of PERCENTILES)
            expect(merged.getValueAtPercentile(q)).toBe(whole.getValueAtPercentile(q));
          expect(summarize(merged)).toEqual(summarize(whole));
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('shard files', () => {
  it('merge to the summed totals and the merged percentiles', () => {
    const parts = [
      run(1, { index: 1, count: 3 }),
      run(2, { index: 2, count: 3 }),
      run(3, { index: 3, count: 3 }),
    ];
    const merged = mergeParts(parts.map((p, i) => viaFile(p, `p${i}.json`)));
    const d = merged.data;
    expect(d.responses).toBe(300 + 2 + 300 + 4 + 300 + 6);
    expect(d.transportErrors).toBe(6);
    expect(d.timeouts).toBe(3);
    expect(d.connections).toBe(15);
    expect(d.rps).toBe(600);
    expect(d.durationSeconds).toBe(10.3);
    expect(d.startedAt).toBe('2026-01-01T00:00:01.000Z');
    expect(d.finishedAt).toBe('2026-01-01T00:00:13.000Z');
    expect(d.runs).toBe(3);
    expect(d.instances['i-a'].count).toBe(151 + 152 + 153);
    expect(d.instances['i-a'].statusCodes).toEqual({ '200': 150 + 151 + 152, '503': 3 });
    expect(d.unattributed.statusCodes).toEqual({ '503': 6 });
    for (const id of ['i-a', 'i-b'] as const) {
      const whole = mergeHistograms(parts.map((p) => p.data.instances[id].latency));
      expect(d.instances[id].latency.totalCount).toBe(d.instances[id].count);
      for (const q of PERCENTILES)
        expect(d.instances[id].latency.getValueAtPercentile(q)).toBe(whole.getValueAtPercentile(q));
    }
    const s = summarizeLoad(d);
    const all = mergeHistograms(
      parts.flatMap((p) => [...Object.values(p.data.instances), p.data.unattributed].map((i) => i.latency)),
    );
    expect(s.latency.p99Ms).toBe(Math.round(all.getValueAtPercentile(99)) / 1000);
    expect(s.latency.count).toBe(d.responses);
    expect(s.errors).toBe(6 + 3 + 6); // no response + 503s attributed + 503s unattributed
  });

  it('sum the sticky client counts', () => {
    const merged = mergeParts([
      viaFile(run(1, { index: 1, count: 2 }, true)),
      viaFile(run(2, { index: 2, count: 2 }, true), 'b'),
    ]);
    expect(merged.data.sticky).toEqual({
      clients: 10,
      clientsWithCookie: 10,
      pinned: { 'i-a': 6, 'i-b': 4 },
      violations: 3,
      clientsWithViolations: 2,
    });
  });

  it('refuse incomplete, repeated, foreign or corrupt parts', () => {
    const a = viaFile(run(1, { index: 1, count: 2 }), 'a.json');
    const b = viaFile(run(2, { index: 2, count: 2 }), 'b.json');
    expect(() => mergeParts([a])).toThrow('missing shard 2/2');
    expect(() => mergeParts([a, a])).toThrow('a.json: shard 1/2 given twice');
    const other = run(2, { index: 2, count: 2 });
    other.data.url = 'http://127.0.0.1:2/ping';
    expect(() => mergeParts([a, viaFile(other, 'o.json')])).toThrow('o.json: not a shard of the same run');
    expect(mergeParts([a, b]).data.responses).toBe(302 + 304);

    const file = toShardFile(a.part, a.part.data) as Record<string, unknown>;
    expect(() => fromShardFile({ ...file, kind: 'x' }, 'x.json')).toThrow(
      'x.json: not a parity load shard file',
    );
    const badHist = JSON.parse(JSON.stringify(file));
    badHist.instances['i-a'].latency = 'not-base64!';
    expect(() => fromShardFile(badHist, 'h.json')).toThrow('h.json: instances.i-a: latency histogram');
    const badCount = JSON.parse(JSON.stringify(file));
    badCount.instances['i-a'].count += 1;
    expect(() => fromShardFile(badCount, 'c.json')).toThrow('but count is');
  });
});
