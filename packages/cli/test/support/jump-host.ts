/**
 * A second sshd as an SSH jump host, in a network namespace of its own: reachable from the host
 * over a veth pair, and reaching the testbed's guests through the host. Guests answer only the
 * host's management address (the testbed's guard), so the host masquerades the jump host's
 * connections to the management network; forwarding is switched on for the two interfaces
 * involved only (never the host-wide ip_forward), and everything is removed by `stop`.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface JumpHost {
  /** The jump host's address (inside its namespace). */
  address: string;
  dir: string;
  /** `address ssh-ed25519 AAAA…`: its known_hosts line. */
  knownHostsLine: string;
  /** `SHA256:…` of its host key. */
  fingerprint: string;
  /** Everything its sshd logged. */
  log(): string;
  stop(): Promise<void>;
}

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: "utf8" });

/** The host's interface and source address towards `guest` (`ip route get`). */
function routeTo(guest: string): { dev: string; src: string } {
  const out = run("ip", ["-4", "route", "get", guest]);
  const dev = /\bdev (\S+)/.exec(out)?.[1];
  const src = /\bsrc (\S+)/.exec(out)?.[1];
  if (dev === undefined || src === undefined) throw new Error(`no route to ${guest}: ${out}`);
  return { dev, src };
}

/**
 * Start the jump host. `authorizedKey` is the only key it accepts (a public key line); `subnet`
 * is the /30 of the veth pair (`10.254.13` → .1 host, .2 jump), which must be unused.
 */
export async function startJumpHost(options: {
  guestAddress: string;
  authorizedKey: string;
  subnet: string;
}): Promise<JumpHost> {
  const tag = `txj${process.pid % 100000}`;
  const ns = `${tag}-ns`;
  const hostIf = `${tag}h`;
  const nsIf = `${tag}n`;
  const table = `${tag}_nat`;
  const [hostAddr, address] = [`${options.subnet}.1`, `${options.subnet}.2`];
  const mgmt = routeTo(options.guestAddress);
  if (run("ip", ["-4", "addr"]).includes(`inet ${options.subnet}.`))
    throw new Error(`${options.subnet}.0/30 is already in use on this host`);
  const undo: (() => void)[] = [];
  const quiet = (cmd: string, args: string[]) => () => {
    try {
      execFileSync(cmd, args, { stdio: "ignore" });
    } catch {
      // already gone
    }
  };
  const dir = mkdtempSync(join(tmpdir(), "txbox-jump-"));
  chmodSync(dir, 0o700);
  undo.push(() => rmSync(dir, { recursive: true, force: true }));
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child?.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    for (const u of undo.reverse()) u();
  };
  try {
    run("ip", ["netns", "add", ns]);
    undo.push(quiet("ip", ["netns", "del", ns]));
    run("ip", ["link", "add", hostIf, "type", "veth", "peer", "name", nsIf]);
    undo.push(quiet("ip", ["link", "del", hostIf]));
    run("ip", ["link", "set", nsIf, "netns", ns]);
    run("ip", ["addr", "add", `${hostAddr}/30`, "dev", hostIf]);
    run("ip", ["link", "set", hostIf, "up"]);
    const inNs = (args: string[]): string => run("ip", ["netns", "exec", ns, ...args]);
    inNs(["ip", "addr", "add", `${address}/30`, "dev", nsIf]);
    inNs(["ip", "link", "set", nsIf, "up"]);
    inNs(["ip", "link", "set", "lo", "up"]);
    inNs(["ip", "route", "add", "default", "via", hostAddr]);
    // Forwarding on the two interfaces only: jump → management network, and the guests' replies.
    const before = run("sysctl", ["-n", `net.ipv4.conf.${mgmt.dev}.forwarding`]).trim();
    run("sysctl", ["-qw", `net.ipv4.conf.${hostIf}.forwarding=1`]);
    run("sysctl", ["-qw", `net.ipv4.conf.${mgmt.dev}.forwarding=1`]);
    undo.push(quiet("sysctl", ["-qw", `net.ipv4.conf.${mgmt.dev}.forwarding=${before}`]));
    const rules = [
      `table ip ${table} {`,
      "  chain pre { type nat hook prerouting priority dstnat; }",
      "  chain post {",
      "    type nat hook postrouting priority srcnat;",
      `    ip saddr ${address} oifname "${mgmt.dev}" snat to ${mgmt.src}`,
      "  }",
      "}",
    ].join("\n");
    execFileSync("nft", ["-f", "-"], { input: rules });
    undo.push(quiet("nft", ["delete", "table", "ip", table]));

    if (!existsSync("/run/sshd")) mkdirSync("/run/sshd", { mode: 0o755 });
    const hostKey = join(dir, "host_ed25519");
    run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
    writeFileSync(join(dir, "authorized_keys"), `${options.authorizedKey.trim()}\n`);
    const cfg = join(dir, "sshd_config");
    writeFileSync(
      cfg,
      [
        "Port 22",
        `ListenAddress ${address}`,
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "PermitRootLogin yes",
        "StrictModes no",
        "AllowTcpForwarding yes",
        "LogLevel DEBUG1",
        "",
      ].join("\n"),
    );
    let logText = "";
    const sshd = spawn("ip", ["netns", "exec", ns, "/usr/sbin/sshd", "-f", cfg, "-D", "-e"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    child = sshd;
    sshd.stderr?.on("data", (c: Buffer) => (logText += c.toString()));
    const deadline = Date.now() + 10_000;
    while (!logText.includes("Server listening")) {
      if (sshd.exitCode !== null) throw new Error(`jump sshd exited: ${logText}`);
      if (Date.now() > deadline) throw new Error(`jump sshd did not start: ${logText}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const pub = readFileSync(`${hostKey}.pub`, "utf8").trim().split(" ");
    const fingerprint =
      run("ssh-keygen", ["-l", "-E", "sha256", "-f", `${hostKey}.pub`]).split(" ")[1] ?? "";
    return {
      address,
      dir,
      knownHostsLine: `${address} ${pub[0]} ${pub[1]}`,
      fingerprint,
      log: () => logText,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
