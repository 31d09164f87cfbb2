/**
 * A throwaway certificate authority for local HTTPS servers (the Resource Manager simulator, a
 * decoy host in tests): a CA generated at start and server certificates it signs, by the machine's
 * openssl. Clients trust it through NODE_EXTRA_CA_CERTS; TLS verification is never turned off.
 * Why openssl rather than an npm package: it is already required (Debian's openssl, in .ci/run) and
 * produces standard X.509 with SANs in three commands; no JavaScript crypto library to keep current.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ServerCertificate {
  cert: string;
  key: string;
}

export interface CertificateAuthority {
  /** PEM file of the CA certificate: the value for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  dir: string;
  /** A server certificate for these names (DNS names or IP addresses), signed by the CA. */
  issue(names: string[]): Promise<ServerCertificate>;
  /** Removes the directory (the CA file goes with it). */
  remove(): Promise<void>;
}

const openssl = (args: string[]) => run('openssl', args, { timeout: 30_000 });

export async function createCertificateAuthority(): Promise<CertificateAuthority> {
  const dir = await mkdtemp(join(tmpdir(), 'restorecheck-ca-'));
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  // EC keys: generated in milliseconds, unlike RSA.
  // If openssl fails half-way, the directory (and a half-written key) goes.
  await openssl([
    'req',
    '-x509',
    '-new',
    '-nodes',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-days',
    '30',
    '-subj',
    '/CN=restorecheck local simulator CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    caKey,
    '-out',
    caFile,
  ]).catch(async (error: unknown) => {
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  let serial = 0;
  return {
    caFile,
    dir,
    async issue(names) {
      const n = ++serial;
      const key = join(dir, `server-${n}.key`);
      const csr = join(dir, `server-${n}.csr`);
      const cert = join(dir, `server-${n}.pem`);
      const ext = join(dir, `server-${n}.ext`);
      const san = names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
      await writeFile(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
      await openssl([
        'req',
        '-new',
        '-nodes',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-subj',
        `/CN=${names[0] ?? 'localhost'}`,
        '-keyout',
        key,
        '-out',
        csr,
      ]);
      // A random serial per certificate: -CAcreateserial shares one serial file, which concurrent issues corrupt.
      await openssl([
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-set_serial',
        `0x${randomBytes(16).toString('hex').replace(/^./, '1')}`,
        '-days',
        '30',
        '-extfile',
        ext,
        '-out',
        cert,
      ]);
      return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
