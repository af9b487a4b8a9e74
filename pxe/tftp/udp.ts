/** UDP socket helpers shared by the server and its transfer threads. */
import { createSocket, type Socket, type SocketType } from 'node:dgram';

/**
 * A socket for one transfer's peer, whose address is always the literal IP
 * its request came from: resolved at once, where dgram's default lookup
 * defers every send by a tick to "resolve" it.
 */
export function peerSocket(type: SocketType): Socket {
  return createSocket({
    type,
    lookup: (address, _options, callback) => callback(null, address, type === 'udp4' ? 4 : 6),
  });
}

export function bindSocket(socket: Socket, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}
