// RMCP framing (IPMI v2.0 section 13.1.3, DMTF ASF 2.0 section 3.2.2) and the
// ASF Presence Ping / Pong used to find out whether something answers
// IPMI on a port (IPMI v2.0 section 13.2.3, Tables 13-3 and 13-4).
import { ByteReader } from './byte-reader.js';
import { IpmiProtocolError } from './errors.js';

const RMCP_VERSION_1_0 = 0x06;
/** Sequence number 0xFF: "do not send an RMCP ACK" (IPMI always uses it). */
const RMCP_SEQUENCE_NO_ACK = 0xff;

export const RmcpClass = {
  asf: 0x06,
  ipmi: 0x07,
} as const;
export type RmcpClass = (typeof RmcpClass)[keyof typeof RmcpClass];

/** IANA enterprise number of the ASF (4542), sent big-endian in ASF messages. */
const ASF_IANA = 4542;
const ASF_PRESENCE_PONG = 0x40;
const ASF_PRESENCE_PING = 0x80;
/** Supported Entities bit 7: IPMI supported (IPMI v2.0 Table 13-4). */
const PONG_ENTITY_IPMI = 0x80;

export function encodeRmcpHeader(messageClass: RmcpClass): Buffer {
  return Buffer.from([RMCP_VERSION_1_0, 0x00, RMCP_SEQUENCE_NO_ACK, messageClass]);
}

export interface RmcpDatagram {
  messageClass: number;
  body: Buffer;
}

export function decodeRmcp(datagram: Buffer): RmcpDatagram {
  const reader = new ByteReader(datagram, 'RMCP header');
  const version = reader.u8();
  reader.u8(); // reserved
  reader.u8(); // sequence number
  const messageClass = reader.u8() & 0x1f; // bit 7 is "ACK", bits 4:0 the class
  if (version !== RMCP_VERSION_1_0) {
    throw new IpmiProtocolError(`RMCP version 0x${version.toString(16)} is not 0x06`);
  }
  return { messageClass, body: reader.rest() };
}

export function encodeAsfPing(messageTag: number): Buffer {
  const asf = Buffer.alloc(8);
  asf.writeUInt32BE(ASF_IANA, 0);
  asf.writeUInt8(ASF_PRESENCE_PING, 4);
  asf.writeUInt8(messageTag & 0xff, 5);
  // byte 6 reserved, byte 7 data length 0
  return Buffer.concat([encodeRmcpHeader(RmcpClass.asf), asf]);
}

export interface AsfPong {
  messageTag: number;
  /** IANA enterprise number of the OEM that defined the OEM field (4542 if none). */
  enterprise: number;
  oemDefined: number;
  ipmiSupported: boolean;
  supportedInteractions: number;
}

/** Decodes the ASF part (after the RMCP header) of a Presence Pong. */
export function decodeAsfPong(body: Buffer): AsfPong {
  const reader = new ByteReader(body, 'ASF presence pong');
  const iana = reader.u32be();
  const type = reader.u8();
  const messageTag = reader.u8();
  reader.u8(); // reserved
  const length = reader.u8();
  if (iana !== ASF_IANA || type !== ASF_PRESENCE_PONG) {
    throw new IpmiProtocolError(`ASF message type 0x${type.toString(16)} (IANA ${iana}) is not a presence pong`);
  }
  if (length < 16) throw new IpmiProtocolError(`ASF presence pong data length ${length} is below 16`);
  const enterprise = reader.u32be();
  const oemDefined = reader.u32be();
  const entities = reader.u8();
  const supportedInteractions = reader.u8();
  return {
    messageTag,
    enterprise,
    oemDefined,
    ipmiSupported: (entities & PONG_ENTITY_IPMI) !== 0,
    supportedInteractions,
  };
}
