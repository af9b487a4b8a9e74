// Drives an IpmiSimServer in-process through handle(), with the client's own
// encoders as the console: no sockets, so the tests can look at every packet.
import { randomBytes } from 'node:crypto';
import { CIPHER_SUITES, type CipherSuiteId } from '../../../../bmc-drivers/ipmi/cipher-suites.js';
import type { IpmiCommand } from '../../../../bmc-drivers/ipmi/commands.js';
import type { ResponseMessage } from '../../../../bmc-drivers/ipmi/message.js';
import { establishSession, sessionAttempt, type Attempt, type Session } from '../../../../bmc-drivers/ipmi/session.js';
import type { IpmiSimServer } from '../../../../sim/ipmi/index.js';

export const CONSOLE = '127.0.0.1:40000';

export async function exchangeInProcess<T>(sim: IpmiSimServer, attempt: Attempt<T>): Promise<T> {
  const reply = await sim.handle(attempt.datagram, CONSOLE);
  if (reply === undefined) throw new Error('the sim did not answer');
  const value = attempt.accept(reply);
  if (value === undefined) throw new Error('the answer did not match the request');
  return value;
}

export function openInProcessSession(
  sim: IpmiSimServer,
  username: string,
  password: string,
  suite: CipherSuiteId = 3,
): Promise<Session> {
  return establishSession(
    {
      exchange: (_operation, attempt) => exchangeInProcess(sim, attempt()),
      send: (datagram) => void sim.handle(datagram, CONSOLE),
    },
    { username, password },
    { suite: CIPHER_SUITES[suite], privilege: 'administrator' },
    randomBytes,
  );
}

export function request(sim: IpmiSimServer, session: Session, command: IpmiCommand<unknown>): Promise<ResponseMessage> {
  return exchangeInProcess(sim, sessionAttempt(session, command, session.nextRqSeq(), randomBytes(16)));
}
