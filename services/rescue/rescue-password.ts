import { createHash, randomBytes } from 'node:crypto';

/** crypt(3)'s base-64 alphabet, which is not RFC 4648's. */
const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SALT_CHARS = 16;
const ROUNDS = 5000;

/** The order in which SHA-256-crypt spreads the digest's bytes over its 4-character groups. */
const BYTE_ORDER: readonly (readonly [number, number, number])[] = [
  [0, 10, 20],
  [21, 1, 11],
  [12, 22, 2],
  [3, 13, 23],
  [24, 4, 14],
  [15, 25, 5],
  [6, 16, 26],
  [27, 7, 17],
  [18, 28, 8],
  [9, 19, 29],
];

/**
 * The rescue password as Ironic hands it to the agent (`hashed_rescue_password`,
 * its default `rescue_password_hash_algorithm` sha256): a SHA-256-crypt hash
 * (`$5$salt$...`, Drepper's specification, default 5000 rounds) that the
 * ramdisk writes to its shadow file as it is, so the plain password never
 * reaches the machine. `salt` is for tests; a fresh random one otherwise.
 */
export function hashRescuePassword(password: string, salt: string = randomSalt()): string {
  const p = Buffer.from(password, 'utf8');
  const s = Buffer.from(salt.slice(0, SALT_CHARS), 'utf8');
  const sha = () => createHash('sha256');

  const b = sha().update(p).update(s).update(p).digest();
  const a = sha().update(p).update(s);
  a.update(repeatTo(b, p.length));
  for (let i = p.length; i > 0; i >>= 1) a.update(i & 1 ? b : p);
  let c = a.digest();

  const dp = sha();
  for (let i = 0; i < p.length; i++) dp.update(p);
  const pBytes = repeatTo(dp.digest(), p.length);
  const ds = sha();
  for (let i = 0; i < 16 + (c[0] as number); i++) ds.update(s);
  const sBytes = repeatTo(ds.digest(), s.length);

  for (let round = 0; round < ROUNDS; round++) {
    const h = sha();
    h.update(round & 1 ? pBytes : c);
    if (round % 3 !== 0) h.update(sBytes);
    if (round % 7 !== 0) h.update(pBytes);
    h.update(round & 1 ? c : pBytes);
    c = h.digest();
  }

  let out = '';
  for (const [x, y, z] of BYTE_ORDER) out += encode24(c[x] as number, c[y] as number, c[z] as number, 4);
  out += encode24(0, c[31] as number, c[30] as number, 3);
  return `$5$${s.toString('utf8')}$${out}`;
}

/** The salt of a `$5$` hash, so a password can be checked against it. */
export function saltOf(hash: string): string | null {
  return /^\$5\$([^$]{1,16})\$/.exec(hash)?.[1] ?? null;
}

/** `length` bytes of `block` repeated. */
function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}

function encode24(b2: number, b1: number, b0: number, chars: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < chars; i++) {
    out += ITOA64[w & 0x3f];
    w >>= 6;
  }
  return out;
}

function randomSalt(): string {
  return [...randomBytes(SALT_CHARS)].map((byte) => ITOA64[byte & 0x3f]).join('');
}
