import { maxHeaderSize } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * What the HTTP server says about a request it could not parse, in Ironic's
 * error body rather than Node's bare status line: a request line or headers
 * over Node's limit (a URL of 100 KB) get 431, one that takes too long 408,
 * anything else malformed 400. Wired to the server's `clientError` event,
 * which fires before express sees the request.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  // The client is gone or the response has begun: there is no one to tell.
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] = describe(err.code);
  const fault = { faultcode: 'Client', faultstring: message, debuginfo: null };
  const body = JSON.stringify({ error_message: JSON.stringify(fault) });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

function describe(code: string | undefined): [number, string, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [
        431,
        'Request Header Fields Too Large',
        `The request line and headers are too large: together they must stay under ${maxHeaderSize} bytes.`,
      ];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'Request Timeout', 'The request was not received in time.'];
    default:
      return [400, 'Bad Request', 'The request is not valid HTTP.'];
  }
}
