import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LRUCache } from 'lru-cache';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/**
 * Opened secrets kept by their sealed text: every read of a node opens its
 * BMC credentials, and a decipher per read was a twentieth of the service's
 * CPU in a fleet run. Two per node for a fleet of 10,000, in a few MB.
 */
const OPENED_KEPT = 20_000;

export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

/** AES-256-GCM for credentials at rest (DESIGN.md decision 10). */
export class SecretBox {
  /** Sealed text → what it opens to; the same text under the same key always opens the same. */
  private readonly opened = new LRUCache<string, string>({ max: OPENED_KEPT });

  private constructor(private readonly key: Buffer) {}

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== 32) throw new SecretKeyError('the secret key must be 32 bytes (AES-256)');
    return new SecretBox(key);
  }

  /**
   * The key from `ANVIL_SECRET_KEY` (64 hex digits or base64 of 32 bytes), or
   * from `<dataDir>/secret.key`, created with mode 0600 on first start.
   */
  static load(secretKey: string | null, dataDir: string): SecretBox {
    if (secretKey !== null) return SecretBox.fromKey(decodeKey(secretKey, 'ANVIL_SECRET_KEY'));
    const file = path.join(dataDir, 'secret.key');
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    }
    return SecretBox.fromKey(decodeKey(readFileSync(file, 'utf8').trim(), file));
  }

  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string): string {
    const kept = this.opened.get(sealed);
    if (kept !== undefined) return kept;
    const plain = this.decrypt(sealed);
    this.opened.set(sealed, plain);
    return plain;
  }

  private decrypt(sealed: string): string {
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(
        'a stored secret cannot be decrypted: the secret key differs from the one that wrote it',
      );
    }
  }

  /**
   * A secret for `purpose` derived from the key (HMAC-SHA256), so processes
   * that share the key share it without another setting, and it reveals nothing of the key.
   */
  derive(purpose: string): string {
    return createHmac('sha256', this.key).update(purpose).digest('base64url');
  }

  /** Sealed values are JSON-encoded first so that numbers and objects survive. */
  sealValue(value: unknown): string {
    return this.seal(JSON.stringify(value));
  }

  openValue(stored: unknown): unknown {
    if (typeof stored !== 'string' || !stored.startsWith(PREFIX)) return stored;
    return JSON.parse(this.open(stored)) as unknown;
  }
}

function decodeKey(text: string, source: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw new SecretKeyError(`${source} must hold 32 bytes as 64 hex digits or base64 (got ${key.length} bytes)`);
  }
  return key;
}
