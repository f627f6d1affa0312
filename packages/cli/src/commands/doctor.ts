import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Register } from "../main.js";
import { EXIT, printJson, println, type Io } from "../output.js";

export interface Check {
  feature: string;
  name: string;
  ok: boolean;
  detail: string;
  /** The command that fixes it, when it fails. */
  fix?: string;
  /** A failing optional check does not fail `doctor`. */
  optional?: boolean;
}

function onPath(env: NodeJS.ProcessEnv, program: string): string | undefined {
  const dirs = (env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"]);
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

function tool(
  env: NodeJS.ProcessEnv,
  feature: string,
  program: string,
  fix: string,
  optional = false,
): Check {
  const p = onPath(env, program);
  return {
    feature,
    name: program,
    ok: p !== undefined,
    detail: p ?? "not found",
    fix,
    optional,
  };
}

function fileCheck(
  feature: string,
  name: string,
  path: string,
  fix: string,
  optional = false,
): Check {
  const ok = existsSync(path);
  return { feature, name, ok, detail: ok ? path : `${path} missing`, fix, optional };
}

/** Pure list of checks, given the environment; exported for tests. */
export function runChecks(io: Io): Check[] {
  const env = io.env;
  const checks: Check[] = [];
  const major = Number(process.versions.node.split(".")[0]);
  checks.push({
    feature: "core",
    name: "node",
    ok: major >= 20,
    detail: `v${process.versions.node}`,
    fix: "install Node.js 20 or newer",
  });
  checks.push(tool(env, "core", "pnpm", "npm i -g pnpm@10.34.9"));

  const root = typeof process.getuid === "function" && process.getuid() === 0;
  checks.push({
    feature: "testbed",
    name: "root",
    ok: root,
    detail: root ? "running as root" : "not root",
    fix: "run the testbed as root (sudo txbox testbed up)",
  });
  const filesystems = existsSync("/proc/filesystems")
    ? readFileSync("/proc/filesystems", "utf8")
    : "";
  checks.push({
    feature: "testbed",
    name: "btrfs (kernel)",
    ok: /\bbtrfs\b/.test(filesystems),
    detail: /\bbtrfs\b/.test(filesystems) ? "btrfs in /proc/filesystems" : "btrfs not available",
    fix: "modprobe btrfs",
  });
  checks.push(fileCheck("testbed", "loop devices", "/dev/loop-control", "modprobe loop"));
  checks.push(
    fileCheck("testbed", "network namespaces", "/proc/self/ns/net", "a kernel with CONFIG_NET_NS"),
  );
  checks.push(fileCheck("testbed", "cgroups", "/sys/fs/cgroup", "mount cgroups (systemd does)"));
  checks.push(tool(env, "testbed", "mkfs.btrfs", "apt-get install -y btrfs-progs"));
  checks.push(tool(env, "testbed", "losetup", "apt-get install -y mount"));
  checks.push(tool(env, "testbed", "ip", "apt-get install -y iproute2"));
  checks.push(tool(env, "testbed", "sshd", "apt-get install -y openssh-server"));
  checks.push(tool(env, "testbed", "ssh", "apt-get install -y openssh-client"));
  checks.push(tool(env, "testbed", "openssl", "apt-get install -y openssl"));
  checks.push(tool(env, "testbed", "debootstrap", "apt-get install -y debootstrap"));
  checks.push(
    fileCheck(
      "testbed",
      "guest rootfs cache",
      "/var/cache/txbox/rootfs",
      "testbed/scripts/build-rootfs (run by scripts/bootstrap)",
    ),
  );
  checks.push(tool(env, "networks", "bgpd", "apt-get install -y frr", true));
  if (!checks[checks.length - 1]!.ok) {
    const frr = "/usr/lib/frr/bgpd";
    if (existsSync(frr)) Object.assign(checks[checks.length - 1]!, { ok: true, detail: frr });
  }
  checks.push(tool(env, "networks", "nft", "apt-get install -y nftables", true));
  checks.push(tool(env, "networks", "bridge", "apt-get install -y iproute2", true));
  const state = join(io.cwd, ".txbox", "testbed.json");
  checks.push({
    feature: "transactions",
    name: "target",
    ok:
      existsSync(state) || existsSync(join(io.cwd, "txbox.yaml")) || env.TXBOX_CONFIG !== undefined,
    detail: existsSync(state) ? `testbed state ${state}` : "no txbox.yaml and no testbed up",
    fix: "txbox testbed up, or write a txbox.yaml with a proxmox section",
    optional: true,
  });
  return checks;
}

export const registerDoctor: Register = (program, io, outcome) => {
  program
    .command("doctor")
    .description("what this machine has and lacks for each feature, with the command that fixes it")
    .option("--json", "machine-readable output")
    .action((opts: { json?: boolean }) => {
      const checks = runChecks(io);
      const failed = checks.filter((c) => !c.ok && !c.optional);
      if (opts.json) {
        printJson(io, { ok: failed.length === 0, checks });
      } else {
        let feature = "";
        for (const c of checks) {
          if (c.feature !== feature) {
            feature = c.feature;
            println(io, `${feature}:`);
          }
          const mark = c.ok ? "ok  " : c.optional ? "warn" : "FAIL";
          println(
            io,
            `  ${mark} ${c.name.padEnd(20)} ${c.detail}${!c.ok && c.fix ? `  → fix: ${c.fix}` : ""}`,
          );
        }
        println(
          io,
          failed.length === 0
            ? "all required checks pass"
            : `${failed.length} required check(s) failed`,
        );
      }
      outcome.code = failed.length === 0 ? EXIT.ok : EXIT.failure;
    });
};
