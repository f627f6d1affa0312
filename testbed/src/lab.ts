import type { Guests, GuestRecord, Conf } from "./api/guests.js";
import type { LabGuest, TestbedConfig } from "./config.js";
import type { Realiser, VolumeRef } from "./realise/types.js";

/** The lab guests to create: the configured ones plus `extra` qemu clones of the first template. */
export function labPlan(
  config: TestbedConfig,
  extra: number,
): { templates: LabGuest[]; guests: LabGuest[] } {
  const templates = config.lab.templates;
  const guests = [...config.lab.guests];
  const used = new Set([...templates, ...guests].map((g) => g.vmid));
  const from = templates[0]?.vmid;
  let next = 103;
  for (let i = 0; i < extra; i++) {
    while (used.has(next)) next++;
    used.add(next);
    guests.push({
      vmid: next,
      type: "qemu",
      name: `agent${next}`,
      storage: templates[0]?.storage ?? "local-btrfs",
      ...(from === undefined ? {} : { from }),
      start: true,
      memory: 512,
      cores: 1,
      bridge: "vmbr0",
    });
  }
  return { templates, guests };
}

/** The lab guests' disk size (size=8G in their configs), enforced by the realiser. */
const LAB_DISK_BYTES = 8 * 1024 ** 3;

function baseConfig(g: LabGuest, vol: VolumeRef): Conf {
  const name = g.name ?? `guest${g.vmid}`;
  if (g.type === "qemu")
    return {
      name,
      memory: String(g.memory),
      cores: g.cores,
      ostype: "l26",
      scsihw: "virtio-scsi-single",
      scsi0: `${vol.storage}:${vol.volume},size=8G`,
      boot: "order=scsi0",
      net0: `virtio,bridge=${g.bridge}`,
      ipconfig0: "ip=dhcp",
    };
  return {
    hostname: name,
    memory: g.memory,
    swap: 0,
    cores: g.cores,
    ostype: "debian",
    arch: "amd64",
    rootfs: `${vol.storage}:${vol.volume},size=8G`,
    net0: `name=eth0,bridge=${g.bridge},ip=dhcp,type=veth`,
  };
}

/**
 * Create the lab on first start: templates (fresh volumes) and guests (linked clones of their
 * template, started when asked). Goes through the Realiser; skips guests that already exist, so a
 * half-seeded lab is completed by the next start.
 */
export async function seedLab(
  guests: Guests,
  realiser: Realiser,
  config: TestbedConfig,
  extra: number,
  authorizedKeys: string[],
  log: (msg: string) => void,
): Promise<void> {
  const plan = labPlan(config, extra);
  const node = config.nodes[0]!;
  const volumeFor = (g: LabGuest): VolumeRef => ({
    storage: g.storage,
    volume: g.type === "lxc" ? `subvol-${g.vmid}-disk-0` : `vm-${g.vmid}-disk-0`,
  });
  for (const t of plan.templates) {
    if (guests.byId.has(t.vmid)) continue;
    const vol = volumeFor(t);
    await realiser.createVolume(vol, { sizeBytes: LAB_DISK_BYTES });
    const inj = await realiser.injectSsh(vol, { authorizedKeys, regenerateHostKeys: true });
    await realiser.setVolumeReadOnly?.(vol, true); // a template's disk is a read-only base image
    const rec: GuestRecord = {
      vmid: t.vmid,
      type: t.type,
      node: t.node ?? node,
      config: { ...baseConfig(t, vol), template: 1 },
      snapshots: {},
      hostKeyFingerprints: inj.hostKeyFingerprints,
      snapSeq: 0,
    };
    guests.byId.set(t.vmid, rec);
    guests.save(rec);
    log(`lab: template ${t.vmid} (${t.type}) on ${vol.storage}`);
  }
  for (const g of plan.guests) {
    if (guests.byId.has(g.vmid)) continue;
    const vol = volumeFor(g);
    const tpl = g.from === undefined ? undefined : guests.byId.get(g.from);
    if (tpl !== undefined) {
      const tplVol = guests.volumes(tpl.config)[0]?.ref;
      if (tplVol === undefined) throw new Error(`lab: template ${tpl.vmid} has no volume`);
      await realiser.cloneVolume(tplVol, vol, { linked: true });
    } else await realiser.createVolume(vol, { sizeBytes: LAB_DISK_BYTES });
    const inj = await realiser.injectSsh(vol, { authorizedKeys, regenerateHostKeys: true });
    const rec: GuestRecord = {
      vmid: g.vmid,
      type: g.type,
      node: g.node ?? node,
      config: baseConfig(g, vol),
      snapshots: {},
      hostKeyFingerprints: inj.hostKeyFingerprints,
      snapSeq: 0,
    };
    guests.byId.set(g.vmid, rec);
    guests.save(rec);
    if (g.start) {
      await realiser.startGuest(guests.spec(rec));
      guests.markRunning(rec, true);
    }
    log(
      `lab: guest ${g.vmid} (${g.type})${tpl === undefined ? "" : ` linked clone of ${tpl.vmid}`}${g.start ? ", started" : ""}`,
    );
  }
}
