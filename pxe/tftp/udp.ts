/** UDP socket helpers shared by the server and its transfer threads. */
import { createSocket, type Socket, type SocketType } from 'node:dgram';
import { lookup } from 'node:dns';
import { isIP } from 'node:net';

/**
 * A socket for one transfer's peer, whose address is always the literal IP
 * its request came from: an IP is taken as it is, where dgram's default
 * lookup defers every send by a tick to "resolve" it. A name (the listen
 * host the socket binds to may be one) is still looked up.
 */
export function peerSocket(type: SocketType): Socket {
  return createSocket({
    type,
    lookup: (address, options, callback) => {
      const family = isIP(address);
      if (family === 0) lookup(address, options, callback);
      else callback(null, address, family);
    },
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
