import type { ObservedGuest, StorageInfo } from "./ports.js";

/** How a guest is cloned from its template, or why PVE would refuse it. */
export type CloneDecision =
  { ok: true; linked: boolean; storage?: string; note?: string } | { ok: false; reason: string };

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
 * node … (uses local storage)". qemu judges the template's own volumes, so only a template on
 * shared storage crosses nodes; LXC judges the target `storage` when one is given, so a full
 * clone onto shared storage crosses too. A target `storage` must itself be shared
 * ("can't clone to non-shared storage"), and implies a full clone. Pure.
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
  const usable = (id: string): boolean => {
    const d = def(id);
    return d !== undefined && d.shared && (d.nodes === undefined || d.nodes.includes(guest.node));
  };
  const noun = guest.type === "qemu" ? "VM" : "CT";
  const where = `template ${template.vmid} (node ${template.node})`;
  if (guest.storage !== undefined && !usable(guest.storage))
    return {
      ok: false,
      reason: `guest ${guest.name}: storage '${guest.storage}' is not shared storage available on ${guest.node}, and PVE clones across nodes only onto shared storage`,
    };
  const local = storagesOf(template.config).filter((s) => !usable(s));
  if (local.length === 0) return { ok: true, linked, ...base };
  if (guest.type === "lxc" && guest.storage !== undefined)
    return {
      ok: true,
      linked: false,
      storage: guest.storage,
      note: `full clone onto shared storage '${guest.storage}': ${where} uses local storage ${local.join(", ")}`,
    };
  return {
    ok: false,
    reason:
      `guest ${guest.name}: PVE cannot clone ${where} to node ${guest.node}: the ${noun} uses local storage ${local.map((s) => `'${s}'`).join(", ")} (clone_vm: "can't clone ${noun} to node '${guest.node}' (${noun} uses local storage)"); ` +
      (guest.type === "lxc"
        ? `set \`storage:\` to a shared storage for a full clone, or use a template on ${guest.node} or on shared storage`
        : `use a template on ${guest.node} or on shared storage`),
  };
}
