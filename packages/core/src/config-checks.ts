import type { PathIssue } from "./load.js";
import type { TxboxConfig } from "./config.js";

/**
 * Checks of txbox.yaml that one key's schema cannot express: how the API is reached and logged
 * into, and the guests' identities. Pure, so `config validate` and every load agree; each issue
 * names the key to fix. Checks that need the file system or the rule packs live with their
 * callers (`txbox config validate`).
 */
export function checkConfig(config: TxboxConfig): PathIssue[] {
  return [...checkProxmox(config), ...checkGuests(config)];
}

function checkProxmox(config: TxboxConfig): PathIssue[] {
  const p = config.proxmox;
  if (p === undefined) return [];
  const issues: PathIssue[] = [];
  const at = (key: string, message: string): void => {
    issues.push({ path: ["proxmox", key], message });
  };
  if (!/^https:\/\//i.test(p.url))
    at("url", `the PVE API is reached over TLS only: use https:// (got ${JSON.stringify(p.url)})`);
  const secrets = (["secretFile", "secretEnv"] as const).filter((k) => p[k] !== undefined);
  if (secrets.length > 1) at("secretEnv", "give the token secret once: secretFile or secretEnv");
  if (p.tokenId !== undefined && secrets.length === 0)
    at("tokenId", "an API token needs its secret: add secretFile or secretEnv");
  if (p.tokenId === undefined)
    for (const k of secrets) at(k, "a token secret without proxmox.tokenId is never used");
  if (p.tokenId !== undefined && (p.username !== undefined || p.passwordEnv !== undefined))
    at(
      p.username !== undefined ? "username" : "passwordEnv",
      "choose one way to log in: tokenId (+ secret) or username (+ passwordEnv), not both",
    );
  if (p.tokenId === undefined) {
    if (p.username !== undefined && p.passwordEnv === undefined)
      at("username", "ticket login needs passwordEnv (the variable holding the password)");
    if (p.passwordEnv !== undefined && p.username === undefined)
      at("passwordEnv", "a password without proxmox.username is never used");
    if (p.username === undefined && p.passwordEnv === undefined && secrets.length === 0)
      at("url", "no way to log in: add tokenId + secretFile/secretEnv, or username + passwordEnv");
  }
  if (p.fingerprint !== undefined && p.caFile !== undefined)
    at("caFile", "give one way to trust the API certificate: fingerprint (pin) or caFile");
  return issues;
}

const HOST_KEY = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

function checkGuests(config: TxboxConfig): PathIssue[] {
  const issues: PathIssue[] = [];
  const first = new Map<number, number>();
  config.guests.forEach((g, i) => {
    const seen = first.get(g.vmid);
    if (seen === undefined) first.set(g.vmid, i);
    else
      issues.push({
        path: ["guests", i, "vmid"],
        message: `duplicate vmid ${g.vmid} (first at guests[${seen}])`,
      });
    if (g.hostKey !== undefined && !HOST_KEY.test(g.hostKey.trim()))
      issues.push({
        path: ["guests", i, "hostKey"],
        message:
          'expected an OpenSSH SHA-256 fingerprint, "SHA256:" and 43 base64 characters (ssh-keygen -lf KEY.pub)',
      });
  });
  return issues;
}
