/**
 * The network package's {@link NetPort} over `@txbox/proxmox`: SDN and firewall CRUD, guest
 * clone/config/start/destroy with PVE's tasks waited for, SSH readiness by TCP connect, and a
 * file ledger. Split by concern (sdn, firewall, guests, ssh); this file only composes them, so
 * the object literal below is type-checked against the whole port.
 */
import { fileLedger, type GuestRef, type NetPort } from "@txbox/net";
import type { ProxmoxClient } from "@txbox/proxmox";
import { firewallOps } from "./firewall.js";
import { guestOps } from "./guests.js";
import { sdnOps } from "./sdn.js";
import { GuestShell, type NetSshEndpoint } from "./ssh.js";

export { addressOf, managementAddress, type NetSshEndpoint } from "./ssh.js";

export interface ProxmoxNetPortOptions {
  /** Directory of the ledger files and of LXC keys waiting to be installed (e.g. `.txbox/net`). */
  stateDir: string;
  /** The management address of a guest when the target knows it (testbed state, txbox.yaml). */
  sshEndpoint?: (guest: GuestRef) => Promise<NetSshEndpoint | undefined>;
  /**
   * Fall back to the spec's management address (`net1`/`ipconfig1`) when `sshEndpoint` knows
   * none (default true). Off for the testbed, whose own management addresses are the only ones
   * reachable from here.
   */
  useSpecAddress?: boolean;
  /** Notes for the operator (stderr). */
  log?: (message: string) => void;
  /** Interval of readiness polls (default 500 ms). */
  pollMs?: number;
}

/** A {@link NetPort} that also runs `net verify`'s scripts and owns pooled SSH connections. */
export type ProxmoxNetPort = Required<NetPort> &
  Pick<GuestShell, "runInGuest"> & { close(): Promise<void> };

export function proxmoxNetPort(
  client: ProxmoxClient,
  options: ProxmoxNetPortOptions,
): ProxmoxNetPort {
  const shell = new GuestShell(client, {
    stateDir: options.stateDir,
    ...(options.sshEndpoint ? { sshEndpoint: options.sshEndpoint } : {}),
    useSpecAddress: options.useSpecAddress ?? true,
    log: options.log ?? (() => undefined),
    pollMs: options.pollMs ?? 500,
  });
  const ledger = fileLedger(options.stateDir);
  return {
    ...sdnOps(client, options.stateDir),
    ...firewallOps(client),
    ...guestOps(client, options.stateDir),
    waitForSsh: (g, _user, timeoutMs, opts) => shell.waitForSsh(g, timeoutMs, opts),
    runInGuest: (g, ssh, script, timeoutMs) => shell.runInGuest(g, ssh, script, timeoutMs),
    loadLedger: (name) => ledger.loadLedger(name),
    saveLedger: (name, l) => ledger.saveLedger(name, l),
    close: () => shell.close(),
  };
}
