/**
 * proxyDHCP (PXE spec 2.1 §2.2.3 and §2.5): beside the site's own DHCP
 * server, which hands out addresses, Anvil answers only PXE clients and
 * only with boot information: an offer with yiaddr 0.0.0.0 on port 67,
 * and an ack to the boot server request a client sends to port 4011.
 * Pure, like the full-mode handler.
 */
import type { BootHost } from '../backend.js';
import { bootFields, chooseBoot, type BootFileConfig } from './boot-file.js';
import { LIMITED_BROADCAST, ZERO_ADDRESS } from './ipv4.js';
import { clientRequest, ignore, servedLine, type Outcome } from './outcome.js';
import type { DhcpMessage } from './packet.js';
import { addressed, replyTo, type DhcpReply } from './reply.js';

export interface ProxyModeConfig {
  serverIp: string;
  boot: BootFileConfig;
  /** Answer PXE clients the backend does not know (discovery); off by default. */
  answerUnknown: boolean;
}

export interface ProxyModeInput {
  request: DhcpMessage;
  host: BootHost | null;
  /** `dhcp`: the DHCP server port (67); `pxe`: the PXE boot server port (4011). */
  port: 'dhcp' | 'pxe';
  /** Where the datagram came from; port 4011 answers go back there (PXE spec 2.1 §2.5). */
  source: { address: string; port: number };
}

export function handleProxy(input: ProxyModeInput, config: ProxyModeConfig): Outcome {
  const { request } = input;
  const client = clientRequest(request);
  if ('action' in client) return client;
  const { mac, type } = client;
  const choice = chooseBoot(request.options, mac, config.boot);
  if (!choice) return ignore('not-a-pxe-client');
  if (!input.host && !config.answerUnknown) return ignore('unknown-host');

  // The reply never carries an address: yiaddr stays 0.0.0.0 and no lease options are set.
  const withBoot = (reply: DhcpMessage): DhcpMessage => {
    const fields = bootFields(choice, request.options);
    return { ...reply, siaddr: fields.siaddr, file: fields.file, options: { ...reply.options, ...fields.options } };
  };

  if (input.port === 'dhcp') {
    // On port 67 only the DISCOVER is ours; the client's REQUEST belongs to the site's DHCP server.
    if (type !== 'discover') return ignore('unexpected-message');
    const offer = withBoot(replyTo(request, 'offer', config.serverIp));
    return { action: 'reply', reply: addressed(request, offer), lease: null, served: servedLine(offer, 'proxyDHCP') };
  }

  if (type !== 'request' && type !== 'inform') return ignore('unexpected-message');
  const ack = withBoot(replyTo(request, 'ack', config.serverIp));
  ack.ciaddr = request.ciaddr;
  const reply: DhcpReply = {
    message: ack,
    destination: {
      kind: 'source',
      address: input.source.address === ZERO_ADDRESS ? LIMITED_BROADCAST : input.source.address,
      port: input.source.port,
    },
  };
  return { action: 'reply', reply, lease: null, served: servedLine(ack, 'proxyDHCP') };
}
