/**
 * Anvil's TFTP server alone in a process, for bench/tftp.ts: as tftpd-hpa
 * runs apart from the clients the bench spawns, so neither server shares
 * its thread with them. Serves ROOT on 127.0.0.1, a free port, at most
 * MAX transfers per client, on the native data path or (`threads`) on worker
 * threads; prints the port, runs until SIGTERM.
 * Runs the build (`npm run build`), as `npm start` does: from source, tsx's
 * wrappers that keep function names cost some 8% of a transfer thread's time.
 * Usage: npx tsx bench/tftp-anvil-server.ts ROOT MAX native|threads
 */
import { existsSync } from 'node:fs';

const build = new URL('../dist/pxe/tftp/index.js', import.meta.url);
if (!existsSync(build)) {
  console.error('tftp-anvil-server.ts runs the build: run `npm run build` first');
  process.exit(2);
}
const { startTftpServer } = (await import(build.href)) as typeof import('../pxe/tftp/index.js');

const [root, max, dataPath] = process.argv.slice(2);
if (root === undefined || max === undefined || (dataPath !== 'native' && dataPath !== 'threads')) {
  console.error('usage: tftp-anvil-server.ts ROOT MAX_TRANSFERS_PER_CLIENT native|threads');
  process.exit(2);
}
const server = await startTftpServer({
  root,
  host: '127.0.0.1',
  port: 0,
  maxTransfersPerClient: Number(max),
  nativeTransfers: dataPath === 'native',
});
if (server.nativeTransfers !== (dataPath === 'native')) {
  console.error('tftp-anvil-server.ts: the native data path is not built (npm install builds it)');
  process.exit(2);
}
console.log(JSON.stringify({ port: server.port }));
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
