import type { SdnNode, SdnRealiser } from "../sdn/index.js";
import type { StorageDef } from "../types.js";

/** Minimal logger shape (a `@txbox/core` winston logger fits). */
export interface HostLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

/** Options of {@link HostRealiser}. */
export interface HostRealiserOptions {
  /** Directory for storage images, mount points, logs and run state (created; absolute). */
  stateDir: string;
  /** Storages to realise; each becomes a loop-mounted btrfs image. */
  storages: StorageDef[];
  /** Management network: a private IPv4 range used only inside namespaces the testbed makes. */
  mgmt: { cidr: string; bridge?: string };
  /** Debian root file system tarball; default `$TXBOX_ROOTFS` or `/var/cache/txbox/rootfs/bookworm.tar`. */
  rootfsTarball?: string;
  /** Process limit of a guest whose spec gives none (pids cgroup). Default 1024. */
  defaultPids?: number;
  /** How long `startGuest` waits for the guest's sshd to accept TCP connections. Default 15 s. */
  startTimeoutMs?: number;
  logger?: HostLogger;
  /**
   * Realise SDN (`applySdn`) and plug guests' `net<N>` NICs into their vnets. `nodes` are the
   * testbed's nodes with underlay addresses; `realiser` defaults to a new SdnRealiser with this
   * instance's prefix. Without this option `applySdn` is absent and only `mgmt0` exists.
   */
  sdn?: { nodes: SdnNode[]; realiser?: SdnRealiser };
}
