/**
 * A transfer thread: runs the transfers the server hands it, each on its own
 * socket, so that their sends (most of a TFTP server's time is the kernel's
 * `sendto`) use every core, as tftpd-hpa's process per transfer does. The
 * server keeps the listener, the limits, the file lookup and the records.
 */
import { Readable } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { FileBlocks } from './file-blocks.js';
import { BlockSource } from './source.js';
import type { FromThread, ThreadJob, ToThread } from './transfer-threads.js';
import { Transfer, TransferFailed } from './transfer.js';
import { bindSocket, peerSocket } from './udp.js';

const port = parentPort;
if (port === null) throw new Error('transfer-thread.ts runs as a worker thread of the TFTP server');

const running = new Map<number, Transfer>();

port.on('message', (message: ToThread) => {
  if (message.op === 'start') void run(message.job);
  else running.get(message.id)?.fail(new TransferFailed(message.reason, message.message));
});

async function run(job: ThreadJob): Promise<void> {
  const reply = (message: FromThread): void => port!.postMessage(message);
  const { content } = job;
  const source =
    'bytes' in content
      ? new BlockSource(
          Readable.from([Buffer.from(content.bytes.buffer, content.bytes.byteOffset, content.bytes.byteLength)]),
        )
      : new FileBlocks(content.handle);
  const socket = peerSocket(job.type);
  const transfer = new Transfer(
    socket,
    job.peer,
    source,
    'bytes' in content ? content.bytes.byteLength : content.size,
    job.settings,
  );
  running.set(job.id, transfer);
  try {
    await bindSocket(socket, job.host, 0);
    reply({ op: 'done', id: job.id, stats: await transfer.run(job.requested) });
  } catch (error) {
    if (error instanceof TransferFailed)
      reply({ op: 'failed', id: job.id, stats: transfer.stats, reason: error.reason, message: error.message });
    else reply({ op: 'crashed', id: job.id, message: error instanceof Error ? error.message : String(error) });
  } finally {
    running.delete(job.id);
    source.close();
    socket.close();
  }
}
