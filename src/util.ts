// Small helpers every layer uses; no imports, so anything may import this.

/** x rounded to `digits` decimals. */
export const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Wait ms milliseconds (a negative wait is none). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** A whole number with thousands separators ("12,345"). */
export const int = (n: number): string => n.toLocaleString('en-US');

/**
 * Options for a zod schema parsed once or a few times in a process (a config, a run's evidence):
 * on an object schema's first parse zod compiles a fast path for it, which costs more than it
 * saves on one parse (a lab config's first parse: 14-26 ms with it, 9-14 ms without).
 */
export const PARSE_ONCE = { jitless: true } as const;
