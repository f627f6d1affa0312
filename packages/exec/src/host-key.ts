/**
 * Host key decision for one hop: a pinned fingerprint when there is one, else known_hosts. Never
 * trust on first use: a host that is neither pinned nor known is refused. Pure.
 */
import { ExecError } from "./errors.js";
import { hostKeyFingerprint, normaliseFingerprint } from "./fingerprint.js";
import { checkKnownHost, knownHostsName, type KnownHostEntry } from "./known-hosts.js";

export interface HostKeyPolicy {
  /** `user@host:port`, for messages. */
  where: string;
  /** The name known_hosts is searched for (the HostName, or a HostKeyAlias). */
  host: string;
  port: number;
  /** Pinned fingerprint (`SHA256:…`), when configured. */
  pinned?: string;
  known: readonly KnownHostEntry[];
  /** The known_hosts files read, for messages. */
  knownFiles: readonly string[];
}

/** The error for a presented key `policy` refuses, or undefined when it is accepted. */
export function refuseHostKey(policy: HostKeyPolicy, presented: Buffer): ExecError | undefined {
  const got = hostKeyFingerprint(presented);
  const { where } = policy;
  const verdict = checkKnownHost(policy.known, policy.host, policy.port, presented);
  const details = { target: where, presented: got };
  if (verdict.status === "revoked") {
    return new ExecError(
      "E_SSH_HOSTKEY",
      `${where}: host key ${got} is marked @revoked in ${verdict.entry.file}:${verdict.entry.line}; refusing to connect`,
      { details, hint: "the host's key was revoked: ask its administrator for the new key" },
    );
  }
  if (policy.pinned !== undefined) {
    const pinned = normaliseFingerprint(policy.pinned);
    if (got === pinned) return undefined;
    return new ExecError(
      "E_SSH_HOSTKEY",
      `${where}: host key ${got} does not match the pinned ${pinned}; refusing to connect`,
      {
        details: { ...details, pinned, expected: [pinned] },
        hint: `if the guest was re-created, update its hostKey (ssh-keyscan -p ${policy.port} ${policy.host} | ssh-keygen -lf -)`,
      },
    );
  }
  if (verdict.status === "match") return undefined;
  const name = knownHostsName(policy.host, policy.port);
  if (verdict.status === "mismatch") {
    const at = verdict.entries.map((e) => `${e.file}:${e.line}`).join(", ");
    return new ExecError(
      "E_SSH_HOSTKEY",
      `${where}: host key ${got} does not match ${verdict.expected.join(", ")} known for ${name} (${at}); refusing to connect`,
      {
        details: { ...details, expected: verdict.expected },
        hint: `if the host was re-installed, remove the old entry (ssh-keygen -R '${name}') and add the new key after checking it`,
      },
    );
  }
  const files = policy.knownFiles.length > 0 ? policy.knownFiles.join(", ") : "no known_hosts file";
  return new ExecError(
    "E_SSH_HOSTKEY",
    `${where}: host key ${got} is not pinned and ${name} is not in ${files}; refusing to connect`,
    {
      details: { ...details, expected: [] },
      hint: `pin it (guests[].hostKey: ${got}) or add it to known_hosts (ssh-keyscan -p ${policy.port} ${policy.host} >> ~/.ssh/known_hosts) after checking the fingerprint out of band`,
    },
  );
}

const RSA = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"];

/** Host key algorithms to ask for first, so the server presents a type known_hosts holds. */
export function preferredAlgorithms(knownTypes: readonly string[]): string[] {
  return [...new Set(knownTypes.flatMap((t) => (t === "ssh-rsa" ? RSA : [t])))].filter((a) =>
    /^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|rsa-sha2-(256|512)|ssh-rsa)$/.test(a),
  );
}
