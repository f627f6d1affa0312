import { ExecError, SshExecutor, type PassphraseSource } from "@txbox/exec";
import { missingSwitches } from "@txbox/net";
import {
  diskStorages,
  rollsBackOnlyToNewest,
  snapshotSupport,
  type ClusterResource,
  type ProxmoxClient,
  type StorageDef,
} from "@txbox/proxmox";
import { SshExecPort } from "../ssh-port.js";
import type { GuestSsh, Target } from "../target.js";
import { reason, type Check } from "./check.js";

/** A configured guest as the cluster lists it. */
export interface FoundGuest {
  vmid: number;
  node: string;
  type: "qemu" | "lxc";
}

interface HaResource {
  sid: string;
  state?: string;
}

/** Node, type and state of each configured guest; the guests found, for the checks after. */
export async function locateGuests(
  client: ProxmoxClient,
  vmids: readonly number[],
): Promise<{ checks: Check[]; found: FoundGuest[] }> {
  const all: ClusterResource[] = await client.resources("vm");
  const checks: Check[] = [];
  const found: FoundGuest[] = [];
  for (const vmid of vmids) {
    const r = all.find((x) => Number(x.vmid) === vmid && (x.type === "qemu" || x.type === "lxc"));
    const feature = `guest ${vmid}`;
    if (r === undefined || r.node === undefined) {
      checks.push({
        feature,
        name: "exists",
        ok: false,
        detail: `not in /cluster/resources`,
        fix: `check guests[].vmid; the API user sees only guests it has VM.Audit on (/vms/${vmid})`,
      });
      continue;
    }
    const type = r.type as "qemu" | "lxc";
    const template = Number(r.template ?? 0) === 1;
    checks.push({
      feature,
      name: "node and type",
      ok: !template,
      detail: `${type === "qemu" ? "VM" : "container"} on ${r.node}, ${r.status ?? "status unknown"}${template ? ", a template" : ""}`,
      fix: "txbox runs commands in guests, not templates: clone it (txbox net apply) and list the clone",
    });
    if (!template) found.push({ vmid, node: r.node, type });
  }
  return { checks, found };
}

/** Storage (snapshots possible? newest-only rollback?), HA state and guest agent of each guest. */
export async function guestChecks(client: ProxmoxClient, guests: FoundGuest[]): Promise<Check[]> {
  const checks: Check[] = [];
  const defs = new Map(
    (await client.get<StorageDef[]>("/storage")).map((d) => [d.storage, d] as const),
  );
  let ha: HaResource[] | undefined;
  try {
    ha = await client.get<HaResource[]>("/cluster/ha/resources");
  } catch (err) {
    checks.push({
      feature: "ha",
      name: "resources",
      ok: false,
      optional: true,
      detail: `cannot read /cluster/ha/resources: ${reason(err)}`,
      fix: "grant Sys.Audit on / so that txbox sees which guests HA manages",
    });
  }
  for (const g of guests) {
    const guest = await client.guest(g.vmid, { node: g.node });
    const config = await guest.config();
    checks.push(...storageChecks(g, config, defs));
    if (ha !== undefined) checks.push(haCheck(g, ha));
    if (g.type === "qemu") checks.push(await agentCheck(client, g, config));
  }
  return checks;
}

function storageChecks(
  g: FoundGuest,
  config: Record<string, unknown>,
  defs: Map<string, StorageDef>,
): Check[] {
  const feature = `guest ${g.vmid}`;
  return diskStorages(config).map((id): Check => {
    const def = defs.get(id);
    if (def === undefined)
      return {
        feature,
        name: `storage ${id}`,
        ok: false,
        detail: "not listed by GET /storage, so its snapshot support is unknown",
        fix: `PVE lists only storages the user may see: grant Datastore.Audit on /storage/${id}`,
      };
    const s = snapshotSupport(def, g.type);
    const newest = rollsBackOnlyToNewest(def)
      ? "; rollback only to the newest snapshot (txbox refuses a rollback past a newer one)"
      : "";
    return {
      feature,
      name: `storage ${id}`,
      ok: s.ok,
      detail: `${def.type}: ${s.why}${s.ok ? newest : ""}`,
      fix: `move the guest's disks to a storage with snapshots (ZFS, btrfs, LVM-thin, Ceph RBD): ${g.type === "qemu" ? "qm disk move" : "pct move-volume"} ${g.vmid} …`,
    };
  });
}

function haCheck(g: FoundGuest, ha: HaResource[]): Check {
  const sid = `${g.type === "qemu" ? "vm" : "ct"}:${g.vmid}`;
  const r = ha.find((x) => x.sid === sid);
  const managed = r !== undefined && r.state !== "ignored" && r.state !== "disabled";
  return {
    feature: `guest ${g.vmid}`,
    name: "ha",
    ok: !managed,
    optional: true,
    detail:
      r === undefined
        ? "not HA-managed"
        : `HA resource ${sid}, requested state ${r.state ?? "started"}`,
    fix: `HA restarts a guest a rollback stops: \`ha-manager set ${sid} --state ignored\` while agents run in it`,
  };
}

async function agentCheck(
  client: ProxmoxClient,
  g: FoundGuest,
  config: Record<string, unknown>,
): Promise<Check> {
  const on = /^(1|enabled=1)/.test(String(config.agent ?? "0"));
  const base = { feature: `guest ${g.vmid}`, name: "guest agent", optional: true };
  if (!on)
    return {
      ...base,
      ok: false,
      detail: "agent off: snapshots of the running VM are crash-consistent (no filesystem freeze)",
      fix: `qm set ${g.vmid} --agent 1 and install qemu-guest-agent in the guest`,
    };
  try {
    await client.request("POST", `/nodes/${g.node}/qemu/${g.vmid}/agent/ping`);
    return { ...base, ok: true, detail: "agent enabled and answering" };
  } catch (err) {
    return {
      ...base,
      ok: false,
      detail: `agent enabled but not answering: ${reason(err)}`,
      fix: "start qemu-guest-agent in the guest (systemctl enable --now qemu-guest-agent)",
    };
  }
}

/** The firewall switches `txbox net` needs on for the guests' nodes (the same rule it applies). */
export async function firewallChecks(client: ProxmoxClient, nodes: string[]): Promise<Check[]> {
  const on = (v: unknown): boolean => Number(v) === 1;
  try {
    const dc = await client.firewall.options({ kind: "cluster" });
    const nft: Record<string, boolean> = {};
    for (const node of nodes)
      nft[node] = on((await client.firewall.options({ kind: "node", node })).nftables);
    const missing = missingSwitches({ datacenter: on(dc.enable), nftables: nft }, nodes);
    if (missing.length === 0)
      return [
        {
          feature: "firewall",
          name: "prerequisites",
          ok: true,
          detail: `datacenter firewall on; nftables on ${nodes.join(", ") || "no node"}`,
        },
      ];
    return missing.map((m) => ({
      feature: "firewall",
      name: m.scope === "datacenter" ? "datacenter" : `nftables ${m.scope}`,
      ok: false,
      optional: true,
      detail:
        m.scope === "datacenter"
          ? "the datacenter firewall is off: no guest or vnet rule is enforced"
          : `node ${m.scope} does not run the nftables firewall: vnet rules are ignored there`,
      fix: `${m.call} (or txbox net apply --enable-firewall)`,
    }));
  } catch (err) {
    return [
      {
        feature: "firewall",
        name: "prerequisites",
        ok: false,
        optional: true,
        detail: `cannot read: ${reason(err)}`,
        fix: "grant Sys.Audit on / and on /nodes",
      },
    ];
  }
}

/**
 * SSH to each guest exactly as a transaction connects: the same route (ssh config, ProxyJump),
 * the same keys (agent first, then key files, passphrases as configured) and the same host-key
 * check (pins, known_hosts), through the session's own port.
 */
export async function sshChecks(
  target: Target,
  vmids: readonly number[],
  passphrase?: PassphraseSource,
): Promise<Check[]> {
  const executor = new SshExecutor(passphrase === undefined ? {} : { passphrase });
  const port = new SshExecPort(executor, (vmid) => target.ssh(vmid));
  const checks: Check[] = [];
  try {
    for (const vmid of vmids) checks.push(await sshCheck(port, target, vmid));
  } finally {
    await executor.close();
  }
  return checks;
}

/** `user@host:port`, with the jump hosts. */
function routeText(ssh: GuestSsh): string {
  const via = ssh.jump.map((h) => `${h.user}@${h.host}:${h.port ?? 22}`).join(", ");
  return `${ssh.user}@${ssh.host}:${ssh.port}${via === "" ? "" : ` via ${via}`}`;
}

async function sshCheck(port: SshExecPort, target: Target, vmid: number): Promise<Check> {
  const base = { feature: `guest ${vmid}`, name: "ssh" };
  let ssh: GuestSsh;
  try {
    ssh = await target.ssh(vmid);
  } catch (err) {
    return {
      ...base,
      ok: false,
      detail: reason(err),
      fix: "complete guests[] in txbox.yaml (host, keyFile, hostKey) or the ssh config it names",
    };
  }
  const where = routeText(ssh);
  const auth = [ssh.agent === undefined ? [] : ["ssh-agent"], ssh.keyFile ?? [], ssh.identityFiles]
    .flat()
    .join(", ");
  try {
    const r = await port.run({ vmid }, "true", { timeoutMs: 15_000 });
    const t = await port.target({ vmid });
    return {
      ...base,
      ok: r.exitCode === 0,
      detail: `${where}, host key ${t.hostKey ?? "from known_hosts"}, keys: ${auth || "none"}`,
      fix: "the guest's shell fails `true`",
    };
  } catch (err) {
    const code = err instanceof ExecError ? err.code : "";
    const pinned = err instanceof ExecError && (err.details as { pinned?: unknown })?.pinned;
    const hint =
      code === "E_SSH_HOSTKEY" && typeof pinned === "string"
        ? `the guest presents another host key: compare \`ssh-keyscan -p ${ssh.port} ${ssh.host} | ssh-keygen -lf -\` with guests[].hostKey`
        : err instanceof ExecError
          ? err.hint
          : undefined;
    return {
      ...base,
      ok: false,
      detail: `${where}: ${reason(err)}${code ? ` [${code}]` : ""}`,
      fix:
        hint ??
        (code === "E_SSH_AUTH"
          ? `authorise one of these keys (${auth || "none"}) in ~${ssh.user}/.ssh/authorized_keys of the guest`
          : `check that the guest runs sshd and ${ssh.host}:${ssh.port} is reachable from here`),
    };
  }
}
