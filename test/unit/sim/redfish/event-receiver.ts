import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedEvent {
  headers: http.IncomingHttpHeaders;
  body: {
    Context?: string;
    Events: Array<{
      EventType: string;
      MessageId: string;
      Message: string;
      MessageArgs: string[];
      MessageSeverity: string;
      OriginOfCondition: { '@odata.id': string };
      Context?: string;
    }>;
  };
}

/** A subscriber's HTTP endpoint on loopback that keeps what the BMC POSTs to it. */
export interface EventReceiver {
  url: string;
  received: ReceivedEvent[];
  /** POSTs seen, failed ones included. */
  attempts: number;
  /** Answer the next `n` POSTs with 500, as a subscriber that is down. */
  failNext(n: number): void;
  /** Resolves once `count` events arrived; rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedEvent[]>;
  close(): Promise<void>;
}

export async function startEventReceiver(): Promise<EventReceiver> {
  const received: ReceivedEvent[] = [];
  let failing = 0;
  let attempts = 0;
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attempts += 1;
      if (failing > 0) {
        failing -= 1;
        res.statusCode = 500;
        res.end();
        return;
      }
      received.push({
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ReceivedEvent['body'],
      });
      res.statusCode = 204;
      res.end();
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/events`,
    received,
    get attempts() {
      return attempts;
    },
    failNext(n) {
      failing = n;
    },
    waitFor(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (received.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(received.slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`only ${received.length} of ${count} events arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
