// Durations compared by order of magnitude, not to the second: a cookie or a session observed a
// few seconds apart (or at a different age) must still compare equal.

const BOUNDS: [number, string][] = [
  [60, '1m'],
  [300, '5m'],
  [900, '15m'],
  [3600, '1h'],
  [21600, '6h'],
  [43200, '12h'],
  [86400, '1d'],
  [604800, '7d'],
  [2592000, '30d'],
  [7776000, '90d'],
  [31536000, '1y'],
];

/** "≤1d" for 86400 s or a little less (1% slack for clocks); "expired" for ≤0. */
export function durationBucket(seconds: number): string {
  if (!(seconds > 0)) return 'expired';
  for (const [bound, label] of BOUNDS) if (seconds <= bound * 1.01) return `≤${label}`;
  return '>1y';
}
