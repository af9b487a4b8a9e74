// The two parties of the TFTP flood interop test, each run inside its own
// network namespace (`ip netns exec NS node --import tsx this-file MODE ...`;
// node cannot enter a namespace itself). Both report on stdout, one JSON
// object a line.
//
//   serve ROOT HOST PORT: Anvil's TFTP server with its default limits, as
//     `anvil serve` starts it. Says `ready`, each completed transfer, and
//     every 100 ms while anything changes a `stats` line: running transfers,
//     refusals and failures by reason.
//   flood HOST PORT COUNT SECONDS: read requests from a fresh source port
//     each, never acknowledging anything, at about 1,000 a second, until
//     COUNT are sent or SECONDS have passed (both bounded). Says `sent` as it
//     goes and `done` with what came back.
import { createSocket, type Socket } from 'node:dgram';
import { startTftpServer, type TftpEvent } from '../../pxe/tftp/index.js';
import { decodePacket, encodePacket } from '../../pxe/tftp/packet.js';

const say = (line: object): void => {
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') await serve(args);
else if (mode === 'flood') await flood(args);
else throw new Error(`usage: tftp-flood-runner.ts serve ROOT HOST PORT | flood HOST PORT COUNT SECONDS`);

async function serve([root = '', host = '', port = '']: string[]): Promise<void> {
  const refused: Record<string, number> = {};
  const failed: Record<string, number> = {};
  let changed = true;
  const server = await startTftpServer({
    root,
    host,
    port: Number(port),
    observer: (e: TftpEvent) => {
      if (e.event === 'record-failed') return;
      changed = true;
      if (e.event === 'transfer-complete') {
        say({ event: 'complete', file: e.file, client: e.client, bytes: e.bytes, blksize: e.blksize });
      } else if (e.reason === 'client-limit' || e.reason === 'busy') {
        refused[e.reason] = (refused[e.reason] ?? 0) + 1;
      } else {
        failed[e.reason ?? 'unknown'] = (failed[e.reason ?? 'unknown'] ?? 0) + 1;
      }
    },
  });
  let active = -1;
  const stats = setInterval(() => {
    if (!changed && server.activeTransfers === active) return;
    changed = false;
    active = server.activeTransfers;
    say({ event: 'stats', active, refused, failed });
  }, 100);
  say({ event: 'ready', port: server.port });
  process.on('SIGTERM', () => {
    clearInterval(stats);
    void server.close().then(() => process.exit(0));
  });
}

async function flood([host = '', port = '', count = '', seconds = '']: string[]): Promise<void> {
  const total = Number(count);
  const deadline = Date.now() + Number(seconds) * 1000;
  /** Sockets still waiting for an answer, or admitted and kept silent to the end. */
  const open = new Set<Socket>();
  /** What the server answered each request with first: DATA, OACK, or an ERROR's message. */
  const answers: Record<string, number> = {};
  // Half plain, half asking for options a flood would like (the longest timeout RFC 2349 allows).
  const plain = encodePacket({ op: 'RRQ', filename: 'ipxe.efi', mode: 'octet', options: [] });
  const greedy = encodePacket({
    op: 'RRQ',
    filename: 'ipxe.efi',
    mode: 'octet',
    options: [
      { name: 'timeout', value: '255' },
      { name: 'blksize', value: '1468' },
    ],
  });
  let sent = 0;
  while (sent < total && Date.now() < deadline) {
    // 50 every 50 ms: about 1,000 requests a second.
    for (let i = 0; i < 50 && sent < total; i++, sent++) {
      const socket = createSocket('udp4');
      let first = true;
      socket.on('message', (msg) => {
        if (!first) return;
        first = false;
        let key: string;
        try {
          const packet = decodePacket(msg);
          key = packet.op === 'ERROR' ? packet.message : packet.op;
        } catch {
          key = 'undecodable';
        }
        answers[key] = (answers[key] ?? 0) + 1;
        // A refused request's socket is done with; closing it keeps thousands of requests within the file limit.
        if (key !== 'DATA' && key !== 'OACK') {
          open.delete(socket);
          socket.close();
        }
      });
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.bind(0, () => resolve()));
      open.add(socket);
      socket.send(sent % 2 === 0 ? plain : greedy, Number(port), host);
    }
    say({ event: 'sent', sent });
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The last answers arrive; the sockets stay silent to the end, then go.
  await new Promise((resolve) => setTimeout(resolve, 500));
  say({ event: 'done', sent, answers });
  for (const socket of open) socket.close();
}
