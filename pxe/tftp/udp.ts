/** UDP socket helpers shared by the server and its transfer threads. */
import type { Socket } from 'node:dgram';

export function bindSocket(socket: Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
