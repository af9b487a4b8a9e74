// Server-side framing: RMCP (IPMI v2.0 section 13.1.3), the IPMI 1.5 and 2.0
// session wrappers (Table 13-8), LAN messages (Tables 13-4, 13-5) and the ASF
// presence pong (Table 13-4). Parsing throws MalformedPacket and nothing else.

export class MalformedPacket extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedPacket';
  }
}

export class Reader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  u8(): number {
    return this.take(1).readUInt8(0);
  }

  u16le(): number {
    return this.take(2).readUInt16LE(0);
  }

  u32le(): number {
    return this.take(4).readUInt32LE(0);
  }

  u32be(): number {
    return this.take(4).readUInt32BE(0);
  }

  bytes(length: number): Buffer {
    return Buffer.from(this.take(length));
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  private take(length: number): Buffer {
    if (this.offset + length > this.buf.length) throw new MalformedPacket(`truncated at byte ${this.offset}`);
    const slice = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}

const RMCP_HEADER = (messageClass: number): Buffer => Buffer.from([0x06, 0x00, 0xff, messageClass]);
const RMCP_CLASS_ASF = 0x06;
const RMCP_CLASS_IPMI = 0x07;
const ASF_IANA = 4542;
const ASF_PING = 0x80;
const ASF_PONG = 0x40;

export const PAYLOAD = {
  ipmi: 0x00,
  openSessionRequest: 0x10,
  openSessionResponse: 0x11,
  rakp1: 0x12,
  rakp2: 0x13,
  rakp3: 0x14,
  rakp4: 0x15,
} as const;

export type Inbound =
  | { kind: 'asf-ping'; tag: number }
  | { kind: 'v1.5'; authType: number; sessionId: number; message: Buffer }
  | {
      kind: 'v2.0';
      payloadType: number;
      encrypted: boolean;
      authenticated: boolean;
      sessionId: number;
      sessionSeq: number;
      payload: Buffer;
      /** Auth Type through the end of the datagram: the integrity code covers a prefix of it. */
      sessionPart: Buffer;
      /** Offset in sessionPart where the trailer (pad, pad length, next header, AuthCode) starts. */
      trailerOffset: number;
    };

export function parseDatagram(datagram: Buffer): Inbound {
  const r = new Reader(datagram);
  if (r.u8() !== 0x06) throw new MalformedPacket('not RMCP version 1.0');
  r.u8();
  r.u8();
  const messageClass = r.u8() & 0x1f;
  if (messageClass === RMCP_CLASS_ASF) {
    const iana = r.u32be();
    const type = r.u8();
    const tag = r.u8();
    if (iana !== ASF_IANA || type !== ASF_PING) throw new MalformedPacket('ASF message other than a presence ping');
    return { kind: 'asf-ping', tag };
  }
  if (messageClass !== RMCP_CLASS_IPMI) throw new MalformedPacket(`RMCP class ${messageClass}`);
  const sessionPart = datagram.subarray(4);
  const s = new Reader(sessionPart);
  const authType = s.u8();
  if (authType === 0x06) {
    const typeByte = s.u8();
    const payloadType = typeByte & 0x3f;
    if (payloadType === 0x02) s.bytes(6); // OEM explicit: IANA and payload ID
    const sessionId = s.u32le();
    const sessionSeq = s.u32le();
    const length = s.u16le();
    const payload = s.bytes(length);
    return {
      kind: 'v2.0',
      payloadType,
      encrypted: (typeByte & 0x80) !== 0,
      authenticated: (typeByte & 0x40) !== 0,
      sessionId,
      sessionSeq,
      payload,
      sessionPart,
      trailerOffset: sessionPart.length - s.remaining,
    };
  }
  s.u32le(); // session sequence
  const sessionId = s.u32le();
  if (authType !== 0x00) s.bytes(16);
  const length = s.u8();
  return { kind: 'v1.5', authType, sessionId, message: s.bytes(length) };
}

export function asfPong(tag: number): Buffer {
  const body = Buffer.alloc(24);
  body.writeUInt32BE(ASF_IANA, 0);
  body.writeUInt8(ASF_PONG, 4);
  body.writeUInt8(tag, 5);
  body.writeUInt8(16, 7); // data length
  body.writeUInt32BE(ASF_IANA, 8); // no OEM: the ASF's own number
  body.writeUInt8(0x81, 16); // supported entities: IPMI, ASF 1.0
  return Buffer.concat([RMCP_HEADER(RMCP_CLASS_ASF), body]);
}

/** An IPMI 1.5 session-less reply (auth type none, sequence 0, session 0). */
export function v15Packet(message: Buffer): Buffer {
  const header = Buffer.alloc(10);
  header.writeUInt8(message.length, 9);
  return Buffer.concat([RMCP_HEADER(RMCP_CLASS_IPMI), header, message]);
}

export interface V20Out {
  payloadType: number;
  sessionId: number;
  sessionSeq: number;
  payload: Buffer;
  encrypted: boolean;
  /** Computes the AuthCode over Auth Type through Next Header; absent for unauthenticated packets. */
  sign?: (signed: Buffer) => Buffer;
}

export function v20Packet(out: V20Out): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt8(0x06, 0);
  header.writeUInt8(out.payloadType | (out.encrypted ? 0x80 : 0) | (out.sign ? 0x40 : 0), 1);
  header.writeUInt32LE(out.sessionId >>> 0, 2);
  header.writeUInt32LE(out.sessionSeq >>> 0, 6);
  header.writeUInt16LE(out.payload.length, 10);
  const body = Buffer.concat([header, out.payload]);
  if (!out.sign) return Buffer.concat([RMCP_HEADER(RMCP_CLASS_IPMI), body]);
  const pad = (4 - ((body.length + 2) % 4)) % 4;
  const signed = Buffer.concat([body, Buffer.alloc(pad, 0xff), Buffer.from([pad, 0x07])]);
  return Buffer.concat([RMCP_HEADER(RMCP_CLASS_IPMI), signed, out.sign(signed)]);
}

function checksum(bytes: Buffer): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return (0x100 - sum) & 0xff;
}

export interface LanRequest {
  rsAddr: number;
  netFn: number;
  rsLun: number;
  rqAddr: number;
  rqSeq: number;
  rqLun: number;
  cmd: number;
  data: Buffer;
}

export function parseLanRequest(message: Buffer): LanRequest {
  if (message.length < 7) throw new MalformedPacket('IPMI message shorter than 7 bytes');
  if (checksum(message.subarray(0, 2)) !== message.readUInt8(2)) throw new MalformedPacket('header checksum');
  if (checksum(message.subarray(3, message.length - 1)) !== message.readUInt8(message.length - 1)) {
    throw new MalformedPacket('body checksum');
  }
  const r = new Reader(message);
  const rsAddr = r.u8();
  const netFnLun = r.u8();
  r.u8();
  const rqAddr = r.u8();
  const seqLun = r.u8();
  const cmd = r.u8();
  return {
    rsAddr,
    netFn: netFnLun >> 2,
    rsLun: netFnLun & 0x03,
    rqAddr,
    rqSeq: seqLun >> 2,
    rqLun: seqLun & 0x03,
    cmd,
    data: message.subarray(6, message.length - 1),
  };
}

export function lanResponse(request: LanRequest, completionCode: number, data: Buffer): Buffer {
  const head = Buffer.from([request.rqAddr, ((request.netFn + 1) << 2) | request.rqLun]);
  const body = Buffer.concat([
    Buffer.from([request.rsAddr, (request.rqSeq << 2) | request.rsLun, request.cmd, completionCode]),
    data,
  ]);
  return Buffer.concat([head, Buffer.from([checksum(head)]), body, Buffer.from([checksum(body)])]);
}
