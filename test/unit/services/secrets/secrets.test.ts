import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSensitiveKey, maskSecrets, SecretBox, SecretKeyError } from '../../../../services/secrets/index.js';

describe('masking', () => {
  it('masks keys that name a secret, at any depth, leaving others', () => {
    const masked = maskSecrets({
      redfish_password: 'a',
      ipmi_password: 'b',
      redfish_username: 'admin',
      deeper: { agent_secret_token: 'c', list: [{ auth_token: 'd', keep: 1 }] },
      snmp_auth_key: 'e',
      configdrive: 'f',
    });
    expect(masked).toEqual({
      redfish_password: '******',
      ipmi_password: '******',
      redfish_username: 'admin',
      deeper: { agent_secret_token: '******', list: [{ auth_token: '******', keep: 1 }] },
      snmp_auth_key: '******',
      configdrive: '******',
    });
  });

  it('recognises sensitive names case-insensitively', () => {
    expect(isSensitiveKey('IPMI_PASSWORD')).toBe(true);
    expect(isSensitiveKey('Passphrase')).toBe(true);
    expect(isSensitiveKey('ipmi_address')).toBe(false);
  });
});

describe('SecretBox', () => {
  it('creates a 0600 key file once and opens what it sealed after a restart', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'anvil-key-'));
    const sealed = SecretBox.load(null, dir).sealValue({ pw: 'x', n: 3 });
    expect(statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(SecretBox.load(null, dir).openValue(sealed)).toEqual({ pw: 'x', n: 3 });
  });

  it('seals the same text differently each time', () => {
    const box = SecretBox.fromKey(Buffer.alloc(32, 1));
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it('refuses to open with another key, and refuses short keys', () => {
    const sealed = SecretBox.fromKey(Buffer.alloc(32, 1)).seal('x');
    expect(() => SecretBox.fromKey(Buffer.alloc(32, 2)).open(sealed)).toThrow(SecretKeyError);
    expect(() => SecretBox.load('abcd', '/tmp')).toThrow('32 bytes');
    expect(SecretBox.load('00'.repeat(32), '/tmp').open(SecretBox.fromKey(Buffer.alloc(32, 0)).seal('y'))).toBe('y');
  });

  it('opens a text it opened before the same, as a value of its own each time, and still refuses one altered', () => {
    const box = SecretBox.fromKey(Buffer.alloc(32, 1));
    const sealed = box.sealValue({ pw: 'x' });
    const first = box.openValue(sealed) as { pw: string };
    first.pw = 'changed by a caller';
    expect(box.openValue(sealed)).toEqual({ pw: 'x' });
    // A character inside the authentication tag: six bits of it change, and the text no longer opens.
    const at = 'enc:v1:'.length + 20;
    const altered = sealed.slice(0, at) + (sealed[at] === 'A' ? 'B' : 'A') + sealed.slice(at + 1);
    expect(() => box.open(altered)).toThrow(SecretKeyError);
    expect(() => SecretBox.fromKey(Buffer.alloc(32, 2)).open(sealed)).toThrow(SecretKeyError);
  });

  it('passes values that were never sealed through unchanged', () => {
    const box = SecretBox.fromKey(Buffer.alloc(32, 1));
    expect(box.openValue('plain')).toBe('plain');
    expect(box.openValue(42)).toBe(42);
  });
});
