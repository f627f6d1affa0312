import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Check } from "./check.js";

function onPath(env: NodeJS.ProcessEnv, program: string): string | undefined {
  const dirs = (env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin", "/usr/lib/frr"]);
  for (const dir of dirs) {
    const p = join(dir, program);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function tool(env: NodeJS.ProcessEnv, feature: string, program: string, fix: string): Check {
  const p = onPath(env, program);
  return { feature, name: program, ok: p !== undefined, detail: p ?? "not found", fix };
}

function file(feature: string, name: string, path: string, fix: string): Check {
  const ok = existsSync(path);
  return { feature, name, ok, detail: ok ? path : `${path} missing`, fix };
}

/** What every txbox command needs on this machine. */
export function coreChecks(): Check[] {
  const major = Number(process.versions.node.split(".")[0]);
  return [
    {
      feature: "core",
      name: "node",
      ok: major >= 20,
      detail: `v${process.versions.node}`,
      fix: "install Node.js 20 or newer",
    },
  ];
}

/**
 * What running the local testbed needs: root, btrfs, loop devices, namespaces and the Debian tools
 * it drives, and for networks FRR and nftables. Not needed to use a Proxmox cluster.
 */
export function testbedChecks(env: NodeJS.ProcessEnv): Check[] {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const filesystems = existsSync("/proc/filesystems")
    ? readFileSync("/proc/filesystems", "utf8")
    : "";
  const btrfs = /\bbtrfs\b/.test(filesystems);
  const checks: Check[] = [
    {
      feature: "testbed",
      name: "root",
      ok: root,
      detail: root ? "running as root" : "not root",
      fix: "run the testbed as root (sudo txbox testbed up)",
    },
    {
      feature: "testbed",
      name: "btrfs (kernel)",
      ok: btrfs,
      detail: btrfs ? "btrfs in /proc/filesystems" : "btrfs not available",
      fix: "modprobe btrfs",
    },
    file("testbed", "loop devices", "/dev/loop-control", "modprobe loop"),
    file("testbed", "network namespaces", "/proc/self/ns/net", "a kernel with CONFIG_NET_NS"),
    file("testbed", "cgroups", "/sys/fs/cgroup", "mount cgroups (systemd does)"),
  ];
  for (const [program, pkg] of [
    ["mkfs.btrfs", "btrfs-progs"],
    ["losetup", "mount"],
    ["ip", "iproute2"],
    ["sshd", "openssh-server"],
    ["ssh", "openssh-client"],
    ["openssl", "openssl"],
    ["debootstrap", "debootstrap"],
    ["bgpd", "frr"],
    ["nft", "nftables"],
    ["bridge", "iproute2"],
  ] as const)
    checks.push(tool(env, "testbed", program, `apt-get install -y ${pkg}`));
  checks.push(
    file(
      "testbed",
      "guest rootfs cache",
      "/var/cache/txbox/rootfs",
      "testbed/scripts/build-rootfs (run by scripts/bootstrap)",
    ),
  );
  return checks;
}
