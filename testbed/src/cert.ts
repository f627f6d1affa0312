import { X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { TxboxError } from "@txbox/core";

/** The API's TLS identity: key and certificate (PEM) and the certificate's SHA-256 fingerprint. */
export interface TlsIdentity {
  key: string;
  cert: string;
  /** Colon-separated uppercase hex, as PVE and browsers show it. */
  fingerprint: string;
}

/** SHA-256 fingerprint of a PEM certificate, colon-separated uppercase hex. */
export function certFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/**
 * Load the self-signed certificate from the state dir, generating it with the `openssl` CLI on
 * first start (like PVE's pve-ssl.pem). Valid for localhost and 127.0.0.1.
 */
export function ensureCertificate(dir: string, commonName = "txbox-testbed"): TlsIdentity {
  const keyFile = join(dir, "pve-ssl.key");
  const certFile = join(dir, "pve-ssl.pem");
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "ec",
          "-pkeyopt",
          "ec_paramgen_curve:prime256v1",
          "-nodes",
          "-keyout",
          keyFile,
          "-out",
          certFile,
          "-days",
          "3650",
          "-subj",
          `/CN=${commonName}/O=txbox testbed`,
          "-addext",
          "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1",
        ],
        { stdio: ["ignore", "ignore", "pipe"], timeout: 30000 },
      );
    } catch (err) {
      throw new TxboxError(
        "E_TESTBED_CERT",
        `cannot generate the API certificate with openssl: ${String(err)}`,
        {
          hint: "install openssl (apt-get install openssl)",
          cause: err,
        },
      );
    }
  }
  const cert = readFileSync(certFile, "utf8");
  return { key: readFileSync(keyFile, "utf8"), cert, fingerprint: certFingerprint(cert) };
}
