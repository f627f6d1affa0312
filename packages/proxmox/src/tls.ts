import { readFileSync } from "node:fs";
import type { TLSSocket } from "node:tls";
import { Agent, buildConnector } from "undici";

/** Normalise `AA:bb:…` (32 bytes) to upper case; throws on anything else. */
export function normaliseFingerprint(value: string): string {
  const v = value.trim().toUpperCase();
  if (!/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/.test(v)) {
    throw new RangeError(
      `fingerprint: expected 32 colon-separated hex bytes, got ${JSON.stringify(value)}`,
    );
  }
  return v;
}

/** Raised inside the connector when the server's certificate is not the pinned one. */
export class FingerprintMismatch extends Error {
  readonly code = "E_TLS_FINGERPRINT";
  constructor(
    readonly expected: string,
    readonly presented: string,
  ) {
    super(`certificate fingerprint ${presented} does not match the pinned ${expected}`);
  }
}

export interface TlsOptions {
  /** SHA-256 fingerprint of the server certificate to pin (chain verification is then skipped). */
  fingerprint?: string;
  /** PEM CA bundle text or file, verified normally (hostname included). */
  ca?: string;
  caFile?: string;
  connectTimeoutMs?: number;
}

/**
 * An undici dispatcher for the PVE API. With a fingerprint, chain verification is off for THIS
 * agent's sockets only and the leaf certificate's SHA-256 must match, checked on `secureConnect`
 * before any byte of the request is written. Session resumption is off so that every connection
 * presents its certificate.
 */
export function createDispatcher(options: TlsOptions): Agent {
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  if (options.fingerprint !== undefined) {
    const pinned = normaliseFingerprint(options.fingerprint);
    const base = buildConnector({
      rejectUnauthorized: false,
      maxCachedSessions: 0,
      timeout: connectTimeout,
    });
    return new Agent({
      connect: (opts, callback) =>
        base(opts, (err, socket) => {
          if (err) return callback(err, null);
          const presented = (socket as TLSSocket).getPeerCertificate?.().fingerprint256 ?? "(none)";
          if (presented.toUpperCase() !== pinned) {
            socket.destroy();
            return callback(new FingerprintMismatch(pinned, presented), null);
          }
          callback(null, socket);
        }),
    });
  }
  const ca = options.ca ?? (options.caFile ? readFileSync(options.caFile, "utf8") : undefined);
  return new Agent({ connect: { ...(ca ? { ca } : {}), timeout: connectTimeout } });
}
