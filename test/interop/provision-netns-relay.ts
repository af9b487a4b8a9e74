// The test's own way into the provisioning network, run inside the
// operator's namespace (`ip netns exec NS node --import tsx this-file
// SOCKET=HOST:PORT...`): every connection to a Unix socket (a file, which
// no network namespace hides) is piped to HOST:PORT from this namespace.
// So the test process, in the root namespace, speaks to Anvil's API and
// the sims' control APIs while every packet stays on the links the test
// made; TLS runs end to end through the pipe. Says {"event":"ready"} on
// stdout once every socket listens.
import { rmSync } from 'node:fs';
import net from 'node:net';

interface Route {
  socket: string;
  host: string;
  port: number;
}

const routes: Route[] = process.argv.slice(2).map((arg) => {
  const eq = arg.indexOf('=');
  const colon = arg.lastIndexOf(':');
  if (eq < 1 || colon < eq) throw new Error(`expected SOCKET=HOST:PORT, got ${arg}`);
  return { socket: arg.slice(0, eq), host: arg.slice(eq + 1, colon), port: Number(arg.slice(colon + 1)) };
});

const servers = await Promise.all(
  routes.map(async ({ socket, host, port }) => {
    rmSync(socket, { force: true });
    const server = net.createServer((client) => {
      const upstream = net.connect({ host, port });
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
    return server;
  }),
);

process.stdout.write(`${JSON.stringify({ event: 'ready', routes })}\n`);
process.on('SIGTERM', () => {
  for (const server of servers) server.close();
  process.exit(0);
});
