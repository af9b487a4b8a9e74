import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';

/**
 * A private CA and the server certificates it signs, made with the openssl
 * command line as an operator would: P-256 keys, an IP subjectAltName (as
 * clients match an IP endpoint against it), valid for two days.
 */
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe', timeout: 30_000 });
}

/** Makes `ca.key` and `ca.pem` in `dir`; answers the certificate's path. */
export function makeTestCa(dir: string, name = 'Anvil test CA'): string {
  const ca = path.join(dir, 'ca.pem');
  openssl(
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    path.join(dir, 'ca.key'),
    '-out',
    ca,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  );
  return ca;
}

export interface ServerCert {
  cert: string;
  key: string;
  /** As node:crypto shows it, upper-case hex. */
  serial: string;
}

/** `<name>.key` and `<name>.pem` in `dir`, for `ip`, signed by the CA `makeTestCa` made there. */
export function makeServerCert(dir: string, options: { name: string; ip: string; serial: string }): ServerCert {
  const file = (ext: string) => path.join(dir, `${options.name}.${ext}`);
  openssl('req', ...EC_KEY, '-keyout', file('key'), '-out', file('csr'), '-subj', '/CN=anvil-api');
  writeFileSync(
    file('ext'),
    [
      `subjectAltName = IP:${options.ip}`,
      'basicConstraints = CA:FALSE',
      'keyUsage = digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      'authorityKeyIdentifier = keyid,issuer',
    ].join('\n'),
  );
  openssl(
    'x509',
    '-req',
    '-in',
    file('csr'),
    '-CA',
    path.join(dir, 'ca.pem'),
    '-CAkey',
    path.join(dir, 'ca.key'),
    '-set_serial',
    options.serial,
    '-days',
    '2',
    '-extfile',
    file('ext'),
    '-out',
    file('pem'),
  );
  return { cert: file('pem'), key: file('key'), serial: new X509Certificate(readFileSync(file('pem'))).serialNumber };
}
