// Entry of the lab's ELBv2 endpoint process: node elbv2-main --lab-dir=DIR [--port=N]
// (labUp runs it from an esbuild bundle; `node --import tsx src/lab/elbv2-main.ts` works too).
import { listenElbv2 } from './elbv2-server.js';

function arg(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const labDir = arg('lab-dir');
if (!labDir) {
  process.stderr.write('usage: elbv2-main --lab-dir=DIR [--port=N]\n');
  process.exit(2);
}
const { server, port } = await listenElbv2(labDir, Number(arg('port') ?? 0));
process.stdout.write(`listening ${port}\n`);

function stop(): void {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 500).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
