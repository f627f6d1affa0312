/**
 * The one place a suite decides whether it can run here. A suite that needs root or a local tool
 * declares what it needs; when something is missing it is skipped with the reason in its name
 * (the skip reporter prints those reasons), except under `CI` or `TXBOX_REQUIRE_E2E=1`, where it
 * fails instead and names what is missing: a run that skipped the real-part suites proves nothing.
 */
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Something a suite needs; `missing` says what is absent and how to get it, or is undefined. */
export interface Requirement {
  readonly missing: string | undefined;
}

/** The marker the skip reporter reads from a skipped suite's name. */
export const SKIP_MARK = "skipped: ";
/** The title of the failing test that stands for a suite which may not skip (reporter reads it). */
export const CANNOT_RUN = "can run here (CI or TXBOX_REQUIRE_E2E=1 forbids skipping)";

/** Root, for network namespaces, loop devices, mounts and sshd. */
export function root(why = "network namespaces, btrfs, sshd"): Requirement {
  return { missing: process.getuid?.() === 0 ? undefined : `root (${why})` };
}

/** An executable on PATH (or in the sbin directories, which a non-root PATH may lack). */
export function tool(name: string, pkg = name): Requirement {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/sbin"];
  const found = dirs.some((d) => {
    if (d === "") return false;
    try {
      accessSync(join(d, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return { missing: found ? undefined : `the tool ${name} (apt-get install ${pkg})` };
}

/** A file that a set-up script makes. */
export function file(path: string, makeWith: string): Requirement {
  return { missing: existsSync(path) ? undefined : `${path} (run ${makeWith})` };
}

/** The guest rootfs the host realiser unpacks into each guest. */
export const ROOTFS = process.env.TXBOX_ROOTFS ?? "/var/cache/txbox/rootfs/bookworm.tar";

/** What a host-realiser testbed (namespaced guests with sshd on btrfs snapshots) needs. */
export function hostTestbed(): Requirement[] {
  return [
    root(),
    file(ROOTFS, "testbed/scripts/build-rootfs as root"),
    tool("ip", "iproute2"),
    tool("btrfs", "btrfs-progs"),
    tool("sshd", "openssh-server"),
  ];
}

/** What the SDN realisation (VXLAN, bridges, FRR EVPN, nftables) needs. */
export function sdnDevices(): Requirement[] {
  return [
    root("network namespaces, VXLAN, FRR, nftables"),
    tool("ip", "iproute2"),
    tool("bridge", "iproute2"),
    tool("nft", "nftables"),
    tool("vtysh", "frr"),
  ];
}

/** True when a missing requirement must fail the run rather than skip. */
export function requireAll(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI;
  const strictCi = ci !== undefined && ci !== "" && ci !== "0" && ci.toLowerCase() !== "false";
  return strictCi || env.TXBOX_REQUIRE_E2E === "1";
}

/** The missing parts, in the order declared. */
export function missingOf(reqs: readonly Requirement[]): string[] {
  return reqs.flatMap((r) => (r.missing === undefined ? [] : [r.missing]));
}

/**
 * `describe(name, fn)` when every requirement is met. Otherwise a skipped describe whose name
 * carries the reason, or, when `requireAll()`, a describe holding one failing test that names
 * what is missing (the suite's own hooks never run).
 */
export function describeWith(
  name: string,
  reqs: readonly Requirement[],
  fn: () => void,
  env: NodeJS.ProcessEnv = process.env,
): void {
  const missing = missingOf(reqs);
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const what = `needs ${missing.join(", ")}`;
  if (requireAll(env)) {
    describe(name, () => {
      test(CANNOT_RUN, () => {
        const err = new Error(`${name}: cannot run here: ${what}`);
        err.stack = err.message; // the message is the whole story; a stack into this file is noise
        throw err;
      });
    });
    return;
  }
  describe.skip(`${name} (${SKIP_MARK}${what})`, fn);
}
