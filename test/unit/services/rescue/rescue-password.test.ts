import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hashRescuePassword, saltOf } from '../../../../services/rescue/index.js';

describe('the rescue password hash (SHA-256-crypt)', () => {
  it("matches the specification's test vector", () => {
    expect(hashRescuePassword('Hello world!', 'saltstring')).toBe(
      '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5',
    );
  });

  it('matches OpenSSL for passwords shorter and longer than a digest, with a fresh salt each time', () => {
    for (const password of [
      'p',
      'Rescue-me 2026!',
      'x'.repeat(33),
      'ünïcødé-pässwörd-that-is-long-enough-to-wrap-twice-over',
    ]) {
      const hash = hashRescuePassword(password);
      const salt = saltOf(hash);
      expect(salt).toMatch(/^[./0-9A-Za-z]{16}$/);
      const openssl = execFileSync('openssl', ['passwd', '-5', '-salt', salt!, '-stdin'], { input: password })
        .toString()
        .trim();
      expect(hash).toBe(openssl);
    }
    expect(saltOf(hashRescuePassword('p'))).not.toBe(saltOf(hashRescuePassword('p')));
  });
});
