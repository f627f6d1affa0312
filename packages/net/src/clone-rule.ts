import type { ObservedGuest, StorageInfo } from "./ports.js";

/**
 * How a guest is cloned from its template, or why PVE would refuse it. `migrate`: a full clone on
 * the template's node, then an offline migration to the guest's node.
 */
export type CloneDecision =
  | { ok: true; linked: boolean; storage?: string; note?: string; migrate?: boolean }
  | { ok: false; reason: string };

const DISK = /^(rootfs|mp\d+|scsi\d+|virtio\d+|sata\d+|ide\d+|efidisk\d+|tpmstate\d+)$/;

/** Storage ids of a config's disks. */
function storagesOf(config: Record<string, string | number>): string[] {
  const out = new Set<string>();
  for (const [k, v] of Object.entries(config)) {
    if (!DISK.test(k) || typeof v !== "string" || /media=cdrom/.test(v)) continue;
    const m = /^([a-z][a-z0-9\-_.]*[a-z0-9]):/i.exec(v);
    if (m) out.add(m[1]!);
  }
  return [...out];
}

/**
 * PVE's `clone_vm` rule for a clone onto another node (qemu-server API2/Qemu.pm, pve-container
 * API2/LXC.pm): every disk must be on shared storage available there, else "can't clone VM/CT to
 * node … (uses local storage)". qemu judges the template's own volumes, LXC the target `storage`
 * when one is given, so an LXC full clone onto shared storage crosses directly. Every other
 * crossing from local storage is a full clone on the template's node followed by an offline
 * migration (`POST …/migrate`, which moves local disks), so the guest owns its disks on its node.
 * A linked clone cannot cross (its base volume stays behind): `full: false` is refused. Pure.
 */
export function decideClone(
  guest: {
    name: string;
    node: string;
    type: "qemu" | "lxc";
    linked: boolean;
    full?: boolean | undefined;
    storage?: string | undefined;
  },
  template: ObservedGuest,
  storages: StorageInfo[] | undefined,
): CloneDecision {
  const linked =
    guest.storage === undefined ? (guest.full === undefined ? guest.linked : !guest.full) : false;
  const base = guest.storage === undefined ? {} : { storage: guest.storage };
  if (template.node === guest.node || storages === undefined) return { ok: true, linked, ...base };
  const def = (id: string): StorageInfo | undefined => storages.find((s) => s.storage === id);
  const on = (id: string, node: string): boolean => {
    const d = def(id);
    return d !== undefined && (d.nodes === undefined || d.nodes.includes(node));
  };
  const usable = (id: string): boolean => def(id)?.shared === true && on(id, guest.node);
  const where = `template ${template.vmid} (node ${template.node})`;
  const local = storagesOf(template.config).filter((s) => !usable(s));
  const targetShared = guest.storage !== undefined && usable(guest.storage);
  if (local.length === 0 && (guest.storage === undefined || targetShared))
    return { ok: true, linked, ...base };
  if (guest.type === "lxc" && targetShared)
    return {
      ok: true,
      linked: false,
      storage: guest.storage!,
      note: `full clone onto shared storage '${guest.storage}': ${where} uses local storage ${local.join(", ")}`,
    };
  // Clone on the template's node, then migrate: the clone's disks must exist there, and local
  // ones must be enabled on the guest's node too (storage_migrate's storage_check_enabled).
  const disks = guest.storage === undefined ? local : [guest.storage];
  const missing = disks.filter(
    (s) => !on(s, template.node) || (def(s)?.shared !== true && !on(s, guest.node)),
  );
  if (missing.length > 0 || guest.full === false)
    return {
      ok: false,
      reason:
        `guest ${guest.name}: PVE cannot clone ${where} to node ${guest.node} (clone_vm: the template uses local storage ${local.map((s) => `'${s}'`).join(", ")}), ` +
        (guest.full === false
          ? "and a linked clone cannot migrate away from its base volume; drop `full: false`"
          : `nor clone on ${template.node} and migrate: storage ${missing.map((s) => `'${s}'`).join(", ")} is not available on both nodes; set \`storage:\` to one that is, or use a template on ${guest.node}`),
    };
  return {
    ok: true,
    linked: false,
    ...base,
    migrate: true,
    note: `clone on ${template.node}, migrate to ${guest.node}: ${
      local.length > 0
        ? `${where} uses local storage ${local.join(", ")}`
        : `storage '${guest.storage}' is local`
    }`,
  };
}
