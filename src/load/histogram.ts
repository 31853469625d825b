// Latency histograms (HDR). Values are recorded in microseconds: autocannon times each request
// with process.hrtime and hands us fractional milliseconds, which we keep to 1 µs
// (its own latency histogram truncates them to whole ms). Three significant digits: any
// recorded value is known to within 0.1%.
import * as hdr from 'hdr-histogram-js';

/** Built without WebAssembly, so always a JsHistogram (which has the bucket-bound helpers). */
export type Histogram = hdr.JsHistogram;

const BUILD: hdr.BuildRequest = {
  bitBucketSize: 32,
  autoResize: true,
  lowestDiscernibleValue: 1,
  highestTrackableValue: 60_000_000, // 60 s; autoResize grows it if ever needed
  numberOfSignificantValueDigits: 3,
  useWebAssembly: false,
};

export function newHistogram(): Histogram {
  return hdr.build(BUILD) as hdr.JsHistogram;
}

/** A latency given in (fractional) milliseconds, as the whole µs the histograms hold (at least 1). */
export const toUs = (ms: number): number => Math.max(1, Math.round(ms * 1000));

/** Record one latency given in (fractional) milliseconds. */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(toUs(ms));
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(base64: string): Histogram {
  const decoded = hdr.decodeFromCompressedBase64(base64, 32, false) as hdr.JsHistogram;
  // Re-home into a histogram built like ours, so later merges never overflow its range.
  const h = newHistogram();
  h.add(decoded);
  return h;
}

/** A new histogram holding every value of the given ones. */
export function mergeHistograms(parts: Iterable<Histogram>): Histogram {
  const out = newHistogram();
  for (const p of parts) out.add(p);
  return out;
}

export interface LatencySummary {
  count: number;
  minMs: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

const ms = (us: number) => Math.round(us) / 1000;

/**
 * Percentiles, min and max at bucket resolution (min/max as their buckets' bounds), so a
 * histogram and its encoded-decoded copy (a shard) summarize identically.
 */
export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0)
    return { count: 0, minMs: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  return {
    count: h.totalCount,
    minMs: ms(h.lowestEquivalentValue(h.minNonZeroValue)),
    meanMs: ms(h.mean),
    p50Ms: ms(h.getValueAtPercentile(50)),
    p90Ms: ms(h.getValueAtPercentile(90)),
    p99Ms: ms(h.getValueAtPercentile(99)),
    p999Ms: ms(h.getValueAtPercentile(99.9)),
    maxMs: ms(h.highestEquivalentValue(h.maxValue)),
  };
}
