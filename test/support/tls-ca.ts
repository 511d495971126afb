/**
 * A throwaway PKI made with `openssl` at test time: a CA, a server certificate for
 * 127.0.0.1 and localhost, and a client certificate, in a temp folder. Nothing is
 * checked in, so nothing expires in the repository. P-256 keys: quick to make.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CertFiles {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  ca: CertFiles;
  server: CertFiles;
  client: CertFiles;
  remove(): void;
}

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${stderr ?? error}`);
  }
}

/** A self-signed CA (basicConstraints CA:TRUE, as OpenSSL 3 and Mosquitto require of an issuer). */
export async function makeCa(dir: string, name: string): Promise<CertFiles> {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  await openssl(
    [
      'req',
      '-x509',
      ...KEY_ARGS,
      '-keyout',
      files.key,
      '-out',
      files.cert,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return files;
}

/** A leaf certificate signed by `ca`; `extensions` is an x509v3 extension section (SAN, EKU). */
export async function makeLeaf(
  dir: string,
  name: string,
  ca: CertFiles,
  extensions: string[],
): Promise<CertFiles> {
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${['basicConstraints=CA:FALSE', ...extensions].join('\n')}\n`);
  await openssl(['req', '-new', ...KEY_ARGS, '-keyout', files.key, '-out', csr, '-subj', `/CN=${name}`], dir);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      // A random serial instead of -CAcreateserial, which would write a .srl file beside the CA.
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      files.cert,
    ],
    dir,
  );
  return files;
}

export async function makeTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'benchloop-pki-'));
  const ca = await makeCa(dir, 'benchloop-test-ca');
  const [server, client] = await Promise.all([
    makeLeaf(dir, 'server', ca, [
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]),
    makeLeaf(dir, 'benchloop-test-client', ca, [
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=clientAuth',
    ]),
  ]);
  return { dir, ca, server, client, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
