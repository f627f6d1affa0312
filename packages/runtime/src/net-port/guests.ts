import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { AlreadyExistsError, type GuestRef, type NetPort, type ObservedGuest } from "@txbox/net";
import { Guest, NotFound, type ProxmoxClient } from "@txbox/proxmox";
import { create, missingIsOk, withSignal } from "./util.js";

/** The guest part of the port: listing, clone (and migrate), config, keys, start, stop, destroy. */
export type GuestOps = Pick<
  NetPort,
  | "listGuests"
  | "cloneGuest"
  | "configureGuest"
  | "authorizeSshKeys"
  | "startGuest"
  | "stopGuest"
  | "destroyGuest"
>;

/** Where an LXC guest's keys wait until its sshd answers (see `authorizeSshKeys`). */
export const pendingKeysFile = (stateDir: string, vmid: number): string =>
  join(stateDir, "keys", `${vmid}.json`);

export const guestOf = (client: ProxmoxClient, g: GuestRef): Guest =>
  new Guest(client, g.vmid, g.node, g.type);

export function guestOps(client: ProxmoxClient, stateDir: string): GuestOps {
  const guest = (g: GuestRef) => guestOf(client, g);
  return {
    listGuests: () => listGuests(client),
    cloneGuest: async (r, opts = {}) => {
      const signal = withSignal(opts.signal);
      const template = new Guest(client, r.template, r.templateNode, r.type);
      const clone = () =>
        create(() =>
          template.clone(r.vmid, {
            name: r.name,
            full: !r.linked,
            ...(r.storage === undefined ? {} : { storage: r.storage }),
            ...(r.templateNode === r.node || r.migrate === true ? {} : { target: r.node }),
            ...signal,
          }),
        );
      if (r.migrate !== true) return clone();
      try {
        await clone();
      } catch (error) {
        // Cloned before a crash (the planner lets us here only for our own guest): move it on.
        if (!(error instanceof AlreadyExistsError)) throw error;
      }
      await new Guest(client, r.vmid, r.templateNode, r.type).migrate(r.node, signal);
    },
    configureGuest: async (g, config) => {
      await guest(g).updateConfig(config);
    },
    /*
     * qemu: cloud-init `ciuser` + `sshkeys` (URL-encoded, as PVE takes them). LXC has no API for
     * keys after creation, so they are kept in a file and installed over SSH (with the operator's
     * key) once the guest answers in `waitForSsh`; the file makes that survive a crash in between.
     */
    authorizeSshKeys: async (g, user, keys) => {
      if (keys.length === 0) return;
      if (g.type === "qemu") {
        await guest(g).updateConfig({ ciuser: user, sshkeys: encodeURIComponent(keys.join("\n")) });
        return;
      }
      const file = pendingKeysFile(stateDir, g.vmid);
      await mkdir(join(stateDir, "keys"), { recursive: true });
      await writeFile(`${file}.tmp`, `${JSON.stringify({ user, keys })}\n`);
      await rename(`${file}.tmp`, file);
    },
    startGuest: async (g, opts = {}) => {
      await guest(g).start(withSignal(opts.signal));
    },
    stopGuest: (g, opts = {}) => missingIsOk(() => guest(g).stop(withSignal(opts.signal))),
    destroyGuest: async (g, opts = {}) => {
      await guest(g).destroy({ purge: true, ...withSignal(opts.signal) });
      await rm(pendingKeysFile(stateDir, g.vmid), { force: true });
    },
  };
}

async function listGuests(client: ProxmoxClient): Promise<ObservedGuest[]> {
  const items = (await client.resources("vm")).filter(
    (r) => (r.type === "qemu" || r.type === "lxc") && r.vmid !== undefined && r.node !== undefined,
  );
  const guests = await Promise.all(
    items.map(async (r): Promise<ObservedGuest | undefined> => {
      const ref: GuestRef = { node: r.node!, vmid: Number(r.vmid), type: r.type as "qemu" | "lxc" };
      let config: Record<string, unknown>;
      try {
        config = await guestOf(client, ref).config();
      } catch (error) {
        // Destroyed between the listing and this read: it is gone, not an error.
        if (error instanceof NotFound) return undefined;
        throw error;
      }
      return {
        ...ref,
        name: r.name ?? String(config.name ?? config.hostname ?? ""),
        status: r.status === "running" ? "running" : "stopped",
        template: Number(r.template ?? 0) === 1 || Number(config.template ?? 0) === 1,
        tags: String(config.tags ?? "")
          .split(/[;, ]+/)
          .filter(Boolean),
        config: config as Record<string, string | number>,
      };
    }),
  );
  return guests.filter((g): g is ObservedGuest => g !== undefined);
}
