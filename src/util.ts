// Small helpers every layer uses; no imports, so anything may import this.

/** x rounded to `digits` decimals. */
export const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Wait ms milliseconds (a negative wait is none). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** A whole number with thousands separators ("12,345"). */
export const int = (n: number): string => n.toLocaleString('en-US');
