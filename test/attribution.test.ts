// The per-instance tally the load driver keeps: counts, status codes, and every latency in the
// HDR histogram, although latencies enter it a batch at a time.
import { describe, expect, it } from 'vitest';
import { rawHeader, Tally } from '../src/load/attribution.js';
import { newHistogram, recordMs } from '../src/load/histogram.js';

describe('Tally', () => {
  it('holds every latency, recorded one by one or not, whenever it is read', () => {
    const tally = new Tally();
    const expected = { a: newHistogram(), b: newHistogram() };
    // Not a multiple of any batch size a buffer would use, and past several of them.
    for (let i = 0; i < 1_337; i++) {
      const id = i % 3 ? 'a' : 'b';
      const ms = 0.05 + (i % 250) * 0.731;
      tally.record(`i-${id}`, i % 17 ? 200 : 503, ms);
      recordMs(expected[id], ms);
    }
    tally.record(undefined, 200, 12.5);
    const first = tally.instances();
    expect(tally.counts()).toEqual({ 'i-a': 891, 'i-b': 446 });
    expect(first['i-a'].latency.totalCount).toBe(891);
    expect(first['i-b'].latency.totalCount).toBe(446);
    for (const id of ['a', 'b'] as const)
      for (const p of [0, 50, 99, 100])
        expect(first[`i-${id}`].latency.getValueAtPercentile(p)).toBe(expected[id].getValueAtPercentile(p));
    expect(first['i-b'].statusCodes).toEqual({ 200: 419, 503: 27 });
    expect(tally.unattributedData().latency.totalCount).toBe(1);

    // Read again, and after more responses: nothing counted twice, nothing lost.
    tally.record('i-a', 200, 3);
    const second = tally.instances();
    expect(second['i-a'].latency.totalCount).toBe(892);
    expect(second['i-b'].latency.totalCount).toBe(446);
    expect(tally.responses).toBe(1_339);
  });

  it('finds the identity header in raw headers whatever its case', () => {
    expect(rawHeader(['Content-Type', 'text/plain', 'X-Instance-ID', 'i-1'], 'x-instance-id')).toBe('i-1');
    expect(rawHeader(['content-type', 'text/plain'], 'x-instance-id')).toBeUndefined();
  });
});
