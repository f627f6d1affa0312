import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

import { RealiseError } from "../types.js";
import { command, inNetns } from "./exec.js";
import { bgpdConf, type BgpConfig } from "./model.js";

const FRR_BIN = "/usr/lib/frr";

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** The PID in `pidFile` when that process is alive and was started with our directory. */
async function livePid(pidFile: string, dir: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, "utf8")).trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    // A recycled PID or a zombie has another (or an empty) command line.
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes(dir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new RealiseError(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * FRR's zebra and bgpd for one testbed node, each started inside the node's network namespace
 * with its own config, pid files, zserv socket and vty sockets in `dir` (so several nodes' daemons
 * coexist on one host and never touch /etc/frr or /var/run/frr).
 */
export class NodeFrr {
  constructor(
    private readonly node: string,
    private readonly netns: string,
    private readonly dir: string,
  ) {}

  private path(name: string): string {
    return join(this.dir, name);
  }

  /** Make the daemons run with this BGP config (or not run when undefined). Returns what changed. */
  async ensure(bgp: BgpConfig | undefined): Promise<string[]> {
    if (bgp === undefined) return (await this.stop()) ? [`${this.node}: stopped FRR`] : [];
    const changes: string[] = [];
    await this.ensureDir();
    const zebraConf = `hostname ${this.node}\n`;
    if ((await this.read("zebra.conf")) !== zebraConf) await this.write("zebra.conf", zebraConf);
    if ((await livePid(this.path("zebra.pid"), this.dir)) === undefined) {
      await rm(this.path("zserv.api"), { force: true });
      this.spawn("zebra", []);
      await waitFor(`zebra of ${this.node}`, () => existsSync(this.path("zserv.api")), 10_000);
      changes.push(`${this.node}: started zebra`);
    }
    const conf = bgpdConf(this.node, bgp);
    const running = await livePid(this.path("bgpd.pid"), this.dir);
    if ((await this.read("bgpd.conf")) !== conf || running === undefined) {
      if (running !== undefined) await this.kill("bgpd", running);
      await this.write("bgpd.conf", conf);
      await rm(this.path("bgpd.vty"), { force: true });
      this.spawn("bgpd", ["-p", "179"]);
      await waitFor(`bgpd of ${this.node}`, () => existsSync(this.path("bgpd.vty")), 10_000);
      changes.push(`${this.node}: ${running === undefined ? "started" : "restarted"} bgpd`);
    }
    return changes;
  }

  /**
   * The daemons drop privileges to `frr` and must reach and write their sockets and pid files
   * here: the directory is frr's (0750) and every directory above it must let others through.
   */
  private async ensureDir(): Promise<void> {
    const parent = dirname(this.dir);
    const missing: string[] = [];
    for (let d = parent; !existsSync(d) && d !== dirname(d); d = dirname(d)) missing.push(d);
    await mkdir(parent, { recursive: true });
    // Created here: readable by frr whatever the testbed's umask.
    for (const d of missing) await chmod(d, 0o755);
    for (let d = parent; ; d = dirname(d)) {
      const st = await stat(d);
      if ((st.mode & 0o001) === 0)
        throw new RealiseError(
          `FRR of ${this.node}: ${d} (mode ${(st.mode & 0o777).toString(8)}) is not traversable ` +
            `by user frr, so zebra could not reach ${this.dir}; use an FRR directory under /run`,
        );
      if (d === dirname(d)) break;
    }
    await mkdir(this.dir, { recursive: true });
    await command(["chown", "frr:frr", this.dir]);
    await chmod(this.dir, 0o750);
  }

  /** Stop both daemons; true when one was running. */
  async stop(): Promise<boolean> {
    let stopped = false;
    for (const daemon of ["bgpd", "zebra"]) {
      const pid = await livePid(this.path(`${daemon}.pid`), this.dir);
      if (pid !== undefined) {
        await this.kill(daemon, pid);
        stopped = true;
      }
    }
    return stopped;
  }

  /** Run vtysh commands against this node's daemons. */
  async vtysh(commands: string[], timeoutMs = 10_000): Promise<string> {
    const args = commands.flatMap((c) => ["-c", c]);
    const r = await inNetns(this.netns, ["vtysh", "--vty_socket", this.dir, ...args], {
      timeoutMs,
    });
    return r.stdout;
  }

  private async read(name: string): Promise<string | undefined> {
    try {
      return await readFile(this.path(name), "utf8");
    } catch {
      return undefined;
    }
  }

  private async write(name: string, text: string): Promise<void> {
    await writeFile(this.path(name), text);
    await command(["chown", "frr:frr", this.path(name)]);
  }

  private spawn(daemon: "zebra" | "bgpd", extra: string[]): void {
    const argv = [
      "netns",
      "exec",
      this.netns,
      join(FRR_BIN, daemon),
      "-f",
      this.path(`${daemon}.conf`),
      "-i",
      this.path(`${daemon}.pid`),
      "-z",
      this.path("zserv.api"),
      "--vty_socket",
      this.dir,
      "-P",
      "0",
      "--log",
      `file:${this.path(`${daemon}.log`)}`,
      ...extra,
    ];
    // Detached: the daemons belong to the testbed's lifetime, not to one request; stop() ends them.
    const child = spawn("ip", argv, { detached: true, stdio: "ignore" });
    child.on("error", () => undefined);
    child.unref();
  }

  private async kill(daemon: string, pid: number): Promise<void> {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      return;
    }
    const gone = async () => (await livePid(this.path(`${daemon}.pid`), this.dir)) !== pid;
    try {
      await waitFor(`${daemon} of ${this.node} to exit`, gone, 5_000);
    } catch {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
      await waitFor(`${daemon} of ${this.node} to be killed`, gone, 5_000);
    }
  }
}
