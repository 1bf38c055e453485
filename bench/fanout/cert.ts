// One self-signed ECDSA P-256 certificate for the load-generating peers, made with the openssl
// CLI, so each peer's DTLS fingerprint is known before it negotiates (see viewer.ts).
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export interface PeerCertificate {
  certFile: string;
  keyFile: string;
  sha256: string;
}

export function makePeerCertificate(dir: string): PeerCertificate {
  const certFile = path.join(dir, 'peer-cert.pem');
  const keyFile = path.join(dir, 'peer-key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=lectern-fanout-bench',
    ],
    { stdio: 'ignore' },
  );
  const out = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  const m = /=([0-9A-F:]+)/i.exec(out);
  if (!m) throw new Error(`cannot read the certificate's fingerprint: ${out}`);
  return { certFile, keyFile, sha256: m[1]!.toUpperCase() };
}
