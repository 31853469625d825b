// Start-up tracing for bench/: with PARITY_TIMING=<file>, each process of a run appends
// "<epoch ms> <pid> <label>" lines there, so the bench can show where a command's time goes.
// Off (one env lookup) otherwise.
import { appendFileSync } from 'node:fs';

const file = process.env.PARITY_TIMING;

export function mark(label: string, at = performance.timeOrigin + performance.now()): void {
  if (file) appendFileSync(file, `${at.toFixed(1)} ${process.pid} ${label}\n`);
}
