// Preloaded into the measured process (node --import): on exit, report its own peak RSS
// (getrusage RUSAGE_SELF), which /usr/bin/time cannot separate from child processes.
process.on('exit', () => {
  process.stderr.write(`parity-bench-maxrss-kb ${process.resourceUsage().maxRSS}\n`);
});
