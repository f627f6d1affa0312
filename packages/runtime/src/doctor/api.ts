import {
  AuthFailed,
  ProxmoxClient,
  RETRY,
  TlsFingerprintMismatch,
  checkPveVersion,
  concreteNeeds,
  isProxmoxError,
  missingPrivileges,
  type ConcreteNeed,
  type PrivilegeScope,
  type ProxmoxConnection,
} from "@txbox/proxmox";
import { reason, type Check } from "./check.js";

/** The API connection's checks, and the client when the API answered. */
export interface ApiProbe {
  checks: Check[];
  client?: ProxmoxClient;
  /** The id permissions are checked for: `user@realm!token` or `user@realm`. */
  authid?: string;
}

const authidOf = (c: ProxmoxConnection): string =>
  c.credentials.kind === "token" ? c.credentials.tokenId : c.credentials.username;

/** How the certificate is trusted, for the detail of a passing TLS check. */
function trust(c: ProxmoxConnection): string {
  if (c.fingerprint !== undefined) return `certificate pinned (${c.fingerprint})`;
  if (c.caFile !== undefined) return `certificate checked against ${c.caFile}`;
  return "certificate checked against the system's CAs";
}

/** API reachable, TLS pin or CA, credentials valid, PVE version in the supported range. */
export async function probeApi(connection: ProxmoxConnection, origin: string): Promise<ApiProbe> {
  const url = connection.url;
  const client = await ProxmoxClient.connect(
    { ...connection, timeoutMs: Math.min(connection.timeoutMs ?? 30_000, 15_000) },
    { skipProbe: true },
  );
  const checks: Check[] = [];
  let version: { version?: unknown };
  try {
    version = await client.request("GET", "/version", undefined, RETRY.none);
  } catch (err) {
    await client.close();
    return { checks: failedProbe(err, connection, origin) };
  }
  checks.push({ feature: "api", name: "reachable", ok: true, detail: url });
  checks.push({ feature: "api", name: "tls", ok: true, detail: trust(connection) });
  checks.push({
    feature: "api",
    name: "credentials",
    ok: true,
    detail: `${connection.credentials.kind} ${authidOf(connection)} accepted`,
  });
  const v = checkPveVersion(version.version);
  checks.push({
    feature: "api",
    name: "pve version",
    ok: v.ok,
    detail: v.reason,
    fix: "txbox supports PVE 8.x and 9.x: upgrade the cluster (pve8to9) or use a txbox release for it",
  });
  if (connection.credentials.kind === "token")
    checks.push(await tokenExpiry(client, connection.credentials.tokenId));
  return { checks, client, authid: authidOf(connection) };
}

/** Which of reachable / tls / credentials failed, each with its fix. */
function failedProbe(err: unknown, c: ProxmoxConnection, origin: string): Check[] {
  if (err instanceof TlsFingerprintMismatch) {
    const d = err.details as { expected?: string; presented?: string };
    return [
      { feature: "api", name: "reachable", ok: true, detail: c.url },
      {
        feature: "api",
        name: "tls",
        ok: false,
        detail: `the API presents certificate ${d.presented}, but proxmox.fingerprint in ${origin} pins ${d.expected}`,
        fix: `compare with \`pvenode cert info\` on the node; if the certificate was renewed, set proxmox.fingerprint: ${d.presented}`,
      },
    ];
  }
  if (err instanceof AuthFailed)
    return [
      { feature: "api", name: "reachable", ok: true, detail: c.url },
      { feature: "api", name: "tls", ok: true, detail: trust(c) },
      {
        feature: "api",
        name: "credentials",
        ok: false,
        detail: `${authidOf(c)} refused: ${reason(err)}`,
        fix:
          c.credentials.kind === "token"
            ? `check proxmox.tokenId and its secret in ${origin}; list tokens with \`pveum user token list USER\`, make a new one with \`pveum user token add USER ID\``
            : `check proxmox.username and the password in proxmox.passwordEnv`,
      },
    ];
  const code = isProxmoxError(err) ? err.code : "";
  const tls = /certificate|self[- ]signed|TLS|SSL/i.test(reason(err));
  return [
    {
      feature: "api",
      name: tls ? "tls" : "reachable",
      ok: false,
      detail: `${c.url}: ${reason(err)}${code ? ` [${code}]` : ""}`,
      fix: tls
        ? "pin the API certificate: proxmox.fingerprint (`pvenode cert info` on the node), or give proxmox.caFile"
        : `check proxmox.url in ${origin}, that pveproxy runs on the node (systemctl status pveproxy) and that port 8006 is reachable from here`,
    },
  ];
}

/** The token's expiry, where the API tells it (reading it needs User.Modify, or a user ticket). */
async function tokenExpiry(client: ProxmoxClient, tokenId: string): Promise<Check> {
  const [user, id] = tokenId.split("!") as [string, string];
  const name = "token expiry";
  try {
    const info = await client.get<{ expire?: number; privsep?: number }>(
      `/access/users/${encodeURIComponent(user)}/token/${encodeURIComponent(id)}`,
    );
    const expire = Number(info.expire ?? 0);
    const privsep = Number(info.privsep ?? 1) === 1 ? "privilege-separated" : "acts as its user";
    if (expire === 0)
      return { feature: "api", name, ok: true, detail: `never expires; ${privsep}` };
    const days = (expire * 1000 - Date.now()) / 86_400_000;
    const when = new Date(expire * 1000).toISOString();
    return {
      feature: "api",
      name,
      ok: days > 7,
      optional: days > 0,
      detail: `expires ${when} (${days.toFixed(1)} days); ${privsep}`,
      fix: `extend it: pveum user token modify ${user} ${id} --expire <epoch seconds>`,
    };
  } catch (err) {
    return {
      feature: "api",
      name,
      ok: false,
      optional: true,
      detail: `not readable with this token (${reason(err)})`,
      fix: `read it as the user: pveum user token list ${user}`,
    };
  }
}

/** The privilege checks of every txbox call on the target's paths; net and doctor ones only warn. */
export async function privilegeChecks(
  client: ProxmoxClient,
  authid: string,
  scope: PrivilegeScope,
): Promise<Check[]> {
  const needs = concreteNeeds(scope);
  const granted = new Map<string, Record<string, number>>();
  const checks: Check[] = [];
  for (const path of new Set(needs.map((n) => n.path))) {
    try {
      const r = await client.get<Record<string, Record<string, number>>>("/access/permissions", {
        path,
      });
      granted.set(path, r[path] ?? {});
    } catch (err) {
      return [
        {
          feature: "privileges",
          name: "permissions",
          ok: false,
          detail: `GET /access/permissions?path=${path} failed: ${reason(err)}`,
          fix: "PVE answers every user and token its own permissions: check the API user",
        },
      ];
    }
  }
  const byFeature = new Map<string, number>();
  for (const need of needs) {
    const missing = missingPrivileges(need, granted.get(need.path) ?? {});
    if (missing.length === 0) {
      byFeature.set(need.feature, (byFeature.get(need.feature) ?? 0) + 1);
      continue;
    }
    checks.push(missingCheck(need, missing, authid));
  }
  for (const [feature, n] of byFeature)
    checks.unshift({
      feature: "privileges",
      name: `${feature} privileges`,
      ok: true,
      detail: `${n} check(s) granted to ${authid}`,
    });
  return checks;
}

/** Roles that grant each privilege (the smallest built-in one), for the fix. */
function roleFor(priv: string): string {
  if (priv.startsWith("VM.")) return "PVEVMAdmin";
  if (priv.startsWith("SDN.")) return "PVESDNAdmin";
  if (priv === "Datastore.AllocateSpace" || priv === "Datastore.Audit") return "PVEDatastoreUser";
  if (priv === "Sys.Audit") return "PVEAuditor";
  if (priv === "User.Modify") return "PVEUserAdmin";
  return "Administrator";
}

function missingCheck(need: ConcreteNeed, missing: string[], authid: string): Check {
  const what = need.any && missing.length > 1 ? `one of ${missing.join(", ")}` : missing.join(", ");
  const token = authid.includes("!");
  const grant = `pveum acl modify ${need.path} --${token ? "tokens" : "users"} '${authid}' --roles ${roleFor(missing[0]!)}`;
  return {
    feature: "privileges",
    name: `${need.path} ${missing.join(need.any ? "|" : ",")}`,
    ok: false,
    optional: need.feature === "net" || need.feature === "doctor" || need.feature === "ha",
    detail:
      `${authid} lacks ${what} on ${need.path}${need.propagate ? " (propagated to the paths below)" : ""}` +
      ` — needed by ${need.calls.slice(0, 2).join(", ")}${need.calls.length > 2 ? ", …" : ""}` +
      (need.feature === "net" ? " (txbox net)" : "") +
      (need.feature === "ha" ? " (rollbacks of HA-managed guests)" : ""),
    fix: token ? `${grant} (a privilege-separated token also needs it granted to its user)` : grant,
  };
}
