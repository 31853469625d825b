// Entry of the lab's AWS endpoints process: node elbv2-main --lab-dir=DIR [--port=N] [--ec2-port=M]
// (labUp runs it from an esbuild bundle; `node --import tsx src/lab/elbv2-main.ts` works too).
// One process serves both APIs, each on its own port, as AWS has one endpoint per service.
import { listenEc2 } from './ec2-server.js';
import { listenElbv2 } from './elbv2-server.js';

function arg(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const labDir = arg('lab-dir');
if (!labDir) {
  process.stderr.write('usage: elbv2-main --lab-dir=DIR [--port=N] [--ec2-port=M]\n');
  process.exit(2);
}
const { server, port } = await listenElbv2(labDir, Number(arg('port') ?? 0));
const ec2 = await listenEc2(labDir, Number(arg('ec2-port') ?? 0));
process.stdout.write(`listening ${port} (ELBv2), ${ec2.port} (EC2)\n`);

function stop(): void {
  let open = 2;
  const closed = () => --open === 0 && process.exit(0);
  server.close(closed);
  ec2.server.close(closed);
  server.closeAllConnections();
  ec2.server.closeAllConnections();
  setTimeout(() => process.exit(0), 500).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
