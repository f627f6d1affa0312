// The escape suite: every way out of a guest we know of, tried as root from INSIDE a real guest
// (over its SSH, bypassing the gate, as an agent that got past it would). Each test fails if an
// attempt works, and each has a positive control: the same attempt in the guest's own sandbox with
// only the measure under test removed must work, so a probe that cannot succeed proves nothing.
// `TXBOX_ESCAPE_TABLE=FILE` writes the table of attempts and results (README, "Escape suite").
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import type { HostRealiser } from "../../src/realise/host/index.js";
import { run as hostRun } from "../../src/realise/host/exec.js";
import type { VolumeRef } from "../../src/realise/types.js";
import {
  cell,
  inControlSandbox,
  parseAttempts,
  PROBE,
  renderTable,
  shellCheck,
  type Attempt,
  type TableRow,
} from "./escape-support.js";
import {
  bootGuest,
  describeHost,
  operatorKey,
  removeStateDir,
  newRealiser,
  spec,
  sshRun,
  type OperatorKey,
} from "./support.js";

const MIB = 1024 * 1024;
/** The guests' disk size (size=): room for the Debian root file system and a little more. */
const SIZE_MIB = 640;
const FIXTURE = fileURLToPath(new URL("./fixtures/escape-probe.py", import.meta.url));

describeHost("escape suite: attempts from inside a guest, each with a positive control", () => {
  let r: HostRealiser;
  let key: OperatorKey;
  const template: VolumeRef = { storage: "local-btrfs", volume: "subvol-9651-disk-0" };
  const attacker: VolumeRef = { storage: "local-btrfs", volume: "subvol-651-disk-0" };
  const bystander: VolumeRef = { storage: "local-btrfs", volume: "subvol-652-disk-0" };
  const pins: Record<number, string[]> = {};
  const addr: Record<number, string> = {};
  const tag = randomBytes(4).toString("hex");
  const rows: TableRow[] = [];
  let root = "";

  const guest = async (command: string): Promise<Attempt[]> => {
    const res = await sshRun(addr[651] ?? "", key, pins[651] ?? [], command);
    const attempts = parseAttempts(res.stdout);
    if (attempts.length === 0) throw new Error(`guest probe printed nothing: ${res.stderr}`);
    return attempts;
  };
  const probe = (...args: string[]) => `python3 ${PROBE} ${args.join(" ")}`;
  const control = (m: Parameters<typeof inControlSandbox>[2], argv: string[]) =>
    inControlSandbox(r, root, m, argv);
  const find = (as: Attempt[], name: string): Attempt | undefined =>
    as.find((a) => a.attempt === name);
  const record = (measure: string, inGuest: Attempt[], inControl: Attempt[]): void => {
    for (const a of inGuest)
      rows.push({
        attempt: a.attempt,
        measure,
        guest: cell(a),
        control: cell(find(inControl, a.attempt)),
      });
  };
  const ok = (as: Attempt[]) => as.map((a) => ({ [a.attempt]: a.ok }));
  const all = (as: Attempt[], value: boolean) => as.map((a) => ({ [a.attempt]: value }));

  beforeAll(async () => {
    r = await newRealiser("escape", "10.213.51.0/24");
    key = operatorKey();
    await r.init();
    // A template as `net apply` uses it: a read-only base image, linked-cloned into the attacker.
    await r.createVolume(template, { sizeBytes: SIZE_MIB * MIB });
    await copyFile(FIXTURE, join(r.volumePath(template), PROBE.slice(1)));
    await r.setVolumeReadOnly(template, true);
    await r.cloneVolume(template, attacker, { linked: true });
    await r.createVolume(bystander, { sizeBytes: SIZE_MIB * MIB });
    root = r.volumePath(attacker);
    for (const [vmid, ref] of [
      [651, attacker],
      [652, bystander],
    ] as const) {
      const booted = await bootGuest(r, spec(vmid, ref), key);
      pins[vmid] = booted.pins;
      addr[vmid] = booted.address;
    }
  }, 180_000);

  afterAll(async () => {
    if (process.env.TXBOX_ESCAPE_TABLE)
      await writeFile(process.env.TXBOX_ESCAPE_TABLE, renderTable(rows));
    await r?.teardown();
    if (r) await removeStateDir(r.resolvedStateDir);
  }, 120_000);

  test("the confinement leaves a guest usable: git, a venv with pip, apt/dpkg, threads, ptrace of its own", async () => {
    const script = [
      "set -e",
      "cd /tmp && rm -rf repo && git init -q repo && cd repo",
      "git -c user.name=t -c user.email=t@t commit -q --allow-empty -m one && git log --oneline | wc -l",
      "python3 -m venv /tmp/venv && /tmp/venv/bin/pip --version | cut -d' ' -f1",
      "apt-get check -qq && dpkg --audit && echo apt-ok",
      `python3 -c 'import threading; t = threading.Thread(target=print, args=("thread-ok",)); t.start(); t.join()'`,
      // ptrace inside the guest still works (its own child), as strace or gdb would use it.
      `python3 -c 'import ctypes, os, signal, time
pid = os.fork()
if pid == 0:
    time.sleep(5); os._exit(0)
libc = ctypes.CDLL(None, use_errno=True)
r = libc.ptrace(16, pid, None, None); os.waitpid(pid, 0x40000000); libc.ptrace(17, pid, None, None)
os.kill(pid, signal.SIGKILL); print("ptrace-own", r)'`,
    ].join("\n");
    const res = await sshRun(addr[651] ?? "", key, pins[651] ?? [], script);
    expect(res.stdout).toBe("1\npip\napt-ok\nthread-ok\nptrace-own 0\n");
  }, 120_000);

  test("open_by_handle_at with a btrfs handle reaches neither another guest's disk nor the template", async () => {
    const args = ["handle", bystander.volume, template.volume, tag];
    const inGuest = await guest(probe(...args));
    expect(ok(inGuest)).toEqual([{ open_by_handle_at: false }]);
    expect(inGuest[0]?.detail).toBe("EPERM");
    const argv = ["python3", PROBE, ...args];
    // Control: the old confinement (CAP_DAC_READ_SEARCH, no filter) reads 652's host key and
    // writes into its disk; the template is a read-only subvolume, so that write fails there.
    const old = await control({ seccomp: false, addCapabilities: ["CAP_DAC_READ_SEARCH"] }, argv);
    const hostKey = readFileSync(
      join(r.volumePath(bystander), "etc/ssh/ssh_host_ed25519_key"),
      "utf8",
    );
    expect(ok(old)).toEqual([
      { open_by_handle_at: true },
      { "read another guest's host key": true },
      { "write into another guest": true },
      { "write into the template": false },
    ]);
    expect(hostKey.startsWith(find(old, "read another guest's host key")?.detail ?? "x")).toBe(
      true,
    );
    expect(find(old, "write into the template")?.detail).toBe("EROFS");
    const planted = join(r.volumePath(bystander), "root", `escaped-${tag}`);
    expect(existsSync(planted)).toBe(true);
    await rm(planted);
    // Control of the template measure: writable again, the same escape plants a file in it.
    await r.setVolumeReadOnly(template, false);
    try {
      const rw = await control({ seccomp: false, addCapabilities: ["CAP_DAC_READ_SEARCH"] }, argv);
      expect(find(rw, "write into the template")?.ok).toBe(true);
    } finally {
      await rm(join(r.volumePath(template), "root", `escaped-${tag}`), { force: true });
      await rm(planted, { force: true });
      await r.setVolumeReadOnly(template, true);
    }
    // Each layer alone stops it: no capability (filter off), or the filter (capability on).
    const capOnly = await control({ seccomp: false }, argv);
    const filterOnly = await control({ addCapabilities: ["CAP_DAC_READ_SEARCH"] }, argv);
    expect(ok(capOnly)).toEqual([{ open_by_handle_at: false }]);
    expect(ok(filterOnly)).toEqual([{ open_by_handle_at: false }]);
    record("no CAP_DAC_READ_SEARCH + seccomp; templates read-only", inGuest, old);
    rows.push({
      attempt: "write into the template (through the file handle)",
      measure: "template disks are read-only subvolumes",
      guest: "fails (no file handle)",
      control: `${cell(find(old, "write into the template"))}; template writable: works`,
    });

    const n2h = await guest(probe("name_to_handle"));
    const n2hControl = await control({ seccomp: false }, ["python3", PROBE, "name_to_handle"]);
    expect(ok(n2h)).toEqual([{ name_to_handle_at: false }]);
    expect(ok(n2hControl)).toEqual([{ name_to_handle_at: true }]);
    record("seccomp", n2h, n2hControl);
  }, 120_000);

  // The i386 ABI (`int 0x80`) faults on this host's kernel even without the filter, so the arch
  // gate is proven on the program's bytes in seccomp.test.ts, not here.
  test("user namespaces: unshare -Ur, unshare -Urm (then mount)", async () => {
    const script = [
      shellCheck("unshare -Ur true", "unshare -Ur true"),
      shellCheck("unshare -Urm, mount tmpfs", "unshare -Urm sh -c 'mount -t tmpfs none /mnt'"),
    ].join("; ");
    const inGuest = await guest(script);
    const inControl = await control({ seccomp: false }, ["/bin/sh", "-c", script]);
    expect(ok(inGuest)).toEqual(all(inGuest, false));
    expect(inGuest.length).toBe(2);
    expect(ok(inControl)).toEqual(all(inGuest, true));
    record(
      "seccomp (clone/unshare namespace flags; foreign ABIs refused whole)",
      inGuest,
      inControl,
    );
  }, 60_000);

  test("kernel-wide /proc files cannot be read", async () => {
    const paths = [
      "/proc/kpageflags",
      "/proc/kpagecount",
      "/proc/kpagecgroup",
      "/proc/timer_list",
      "/proc/keys",
      "/proc/key-users",
      "/proc/slabinfo",
      "/proc/vmallocinfo",
      "/proc/interrupts",
      "/proc/kcore",
      "/proc/sched_debug",
      "/proc/acpi",
      "/proc/scsi",
    ].filter((p) => existsSync(p));
    const inGuest = await guest(probe("proc", ...paths));
    const inControl = await control({ masks: false }, ["python3", PROBE, "proc", ...paths]);
    expect(ok(inGuest)).toEqual(all(inGuest, false));
    // The files with content on any kernel are readable without the masks.
    const withContent = ["kpageflags", "kpagecount", "timer_list", "key-users", "interrupts"];
    expect(
      ok(inControl.filter((a) => withContent.some((w) => a.attempt === `read /proc/${w}`))),
    ).toEqual(
      withContent
        .filter((w) => existsSync(`/proc/${w}`))
        .map((w) => ({ [`read /proc/${w}`]: true })),
    );
    for (const a of inControl) expect(a.detail).not.toMatch(/masked/);
    record("masked (/dev/null or empty read-only tmpfs)", inGuest, inControl);
  }, 60_000);

  test("mount, mknod, /dev/kvm and block devices", async () => {
    const script = [
      shellCheck("mount -t tmpfs", "mount -t tmpfs none /mnt"),
      shellCheck("mount -t proc", "mount -t proc proc /mnt"),
      shellCheck("mknod /dev/kvm (c 10 232)", "mknod /tmp/kvm-$$ c 10 232 && rm /tmp/kvm-$$"),
      shellCheck("mknod a disk (b 8 0)", "mknod /tmp/sda-$$ b 8 0 && rm /tmp/sda-$$"),
      shellCheck(
        "find a block device or /dev/kvm",
        "test -e /dev/kvm || find / -xdev -type b | grep -q .",
      ),
    ].join("; ");
    const inGuest = await guest(script);
    expect(ok(inGuest)).toEqual(all(inGuest, false));
    const inControl = await control(
      { seccomp: false, addCapabilities: ["CAP_SYS_ADMIN", "CAP_MKNOD"] },
      ["/bin/sh", "-c", script],
    );
    expect(ok(inControl)).toEqual([
      { "mount -t tmpfs": true },
      { "mount -t proc": true },
      { "mknod /dev/kvm (c 10 232)": true },
      { "mknod a disk (b 8 0)": true },
      // The private /dev has no devices to find, with or without capabilities.
      { "find a block device or /dev/kvm": false },
    ]);
    record("no CAP_SYS_ADMIN/CAP_MKNOD + seccomp; private /dev", inGuest, inControl);
  }, 60_000);

  test("ptrace and signals cannot reach another guest's process", async () => {
    const marker = 3000 + (parseInt(tag.slice(0, 3), 16) % 600);
    await sshRun(addr[652] ?? "", key, pins[652] ?? [], `nohup sleep ${marker} >/dev/null 2>&1 &`);
    const pid = await hostPidOf(["sleep", String(marker)]);
    const inGuest = await guest(probe("ptrace", String(pid)));
    expect(ok(inGuest)).toEqual(all(inGuest, false));
    expect(inGuest.map((a) => a.detail)).toEqual(["ESRCH", "ESRCH"]);
    // Control: the same capabilities without a PID namespace of its own attach to it.
    const inControl = await control({ unsharePid: false }, [
      "python3",
      PROBE,
      "ptrace",
      String(pid),
    ]);
    expect(ok(inControl)).toEqual(all(inGuest, true));
    record("PID namespace", inGuest, inControl);
  }, 60_000);

  test("keyrings, perf, userfaultfd, bpf and module loading are refused", async () => {
    const script = ["keyring", "perf", "uffd", "bpf", "module"].map((p) => probe(p)).join("; ");
    const inGuest = await guest(script);
    expect(ok(inGuest)).toEqual(all(inGuest, false));
    for (const a of inGuest) expect(a.detail).toBe("EPERM");
    // Control: without the filter these reach the kernel (bpf and modules with their capability).
    const inControl = await control(
      { seccomp: false, addCapabilities: ["CAP_BPF", "CAP_SYS_MODULE"] },
      ["/bin/sh", "-c", script],
    );
    expect(ok(inControl)).toEqual(all(inGuest, true));
    record("seccomp", inGuest, inControl);
  }, 60_000);

  test("a btrfs subvolume (its own quota group) cannot be created inside the disk", async () => {
    const inGuest = await guest(probe("subvolume"));
    expect(ok(inGuest)).toEqual([{ "btrfs subvolume create": false }]);
    // The subvolume the control makes stays until teardown; it holds nothing.
    const inControl = await control({ seccomp: false }, ["python3", PROBE, "subvolume"]);
    expect(ok(inControl)).toEqual([{ "btrfs subvolume create": true }]);
    expect(existsSync(join(root, "root", "escape-subvol"))).toBe(true);
    record("seccomp (btrfs subvolume ioctls)", inGuest, inControl);
  }, 60_000);

  test("filling the disk stops at the volume's size, in that guest only", async () => {
    const target = String(SIZE_MIB);
    const clear = "rm -f /root/fill; sync";
    const inGuest = await guest(`${probe("fill", target)}; ${clear}`);
    if (inGuest[0]?.ok !== false) {
      const q = await hostRun(["btrfs", "qgroup", "show", "-re", "--raw", "-f", root]);
      throw new Error(
        `writes went past the volume's size; its quota group: ${q.stdout}${q.stderr}`,
      );
    }
    expect(inGuest[0]?.detail).toMatch(/^EDQUOT after \d+ MiB$/);
    // Another guest on the same storage keeps writing while the first is full.
    const other = await sshRun(
      addr[652] ?? "",
      key,
      pins[652] ?? [],
      "dd if=/dev/zero of=/root/other bs=1M count=64 conv=fsync 2>&1 >/dev/null | tail -1; rm /root/other",
    );
    expect(other.stdout).toMatch(/67108864 bytes/);
    // Control: without the volume's limit the same writes go past its size.
    await r.setVolumeLimit(attacker, undefined);
    let inControl: Attempt[];
    try {
      inControl = await guest(`${probe("fill", target)}; ${clear}`);
    } finally {
      await r.setVolumeLimit(attacker, SIZE_MIB * MIB);
    }
    expect(ok(inControl)).toEqual([{ "write past the volume's size": true }]);
    record("btrfs qgroup limit = the volume's size=", inGuest, inControl);
  }, 120_000);

  describe("network", () => {
    let hostService: Server;
    let loopService: Server;
    let port = 0;
    let loopPort = 0;
    const hostMgmt = () => (addr[651] ?? "").replace(/\.\d+$/, ".1");

    beforeAll(async () => {
      const serve = (s: Server, host: string) =>
        new Promise<number>((res) =>
          s.listen(0, host, () => res((s.address() as AddressInfo).port)),
        );
      hostService = createServer((c) => c.on("error", () => undefined).end("host\n"));
      loopService = createServer((c) => c.on("error", () => undefined).end("loop\n"));
      port = await serve(hostService, hostMgmt());
      loopPort = await serve(loopService, "127.0.0.1");
    });
    afterAll(async () => {
      await new Promise((res) => hostService?.close(res));
      await new Promise((res) => loopService?.close(res));
    });

    test("another guest, a host service (the API port) and the host's loopback are out of reach", async () => {
      const tcp = (h: string, p: number) => probe("tcp", h, String(p));
      const mgmt = [tcp(addr[652] ?? "", 22), tcp(hostMgmt(), port)].join("; ");
      const loop = tcp("127.0.0.1", loopPort);
      const inGuest = await guest(`${mgmt}; ${loop}`);
      expect(ok(inGuest)).toEqual(all(inGuest, false));
      // Control 1: the host's loopback service answers a sandbox in the host's network namespace.
      const loopControl = await control({}, [
        "python3",
        PROBE,
        "tcp",
        "127.0.0.1",
        String(loopPort),
      ]);
      expect(ok(loopControl)).toEqual([{ [`connect 127.0.0.1:${loopPort}`]: true }]);
      // Control 2: without the management guard the guest reaches 652 and the host's service.
      const mgmtNs = r.hostNames.mgmtNetns;
      await hostRun([
        "ip",
        "netns",
        "exec",
        mgmtNs,
        "nft",
        "delete",
        "table",
        "bridge",
        "txbox_mgmt",
      ]);
      let open: Attempt[];
      try {
        open = await guest(mgmt);
      } finally {
        await r.init(); // re-installs the guard
      }
      expect(ok(open)).toEqual(all(open, true));
      expect(ok(await guest(mgmt))).toEqual(all(open, false));
      const names = [
        `another guest's sshd (${addr[652]}:22)`,
        `a host service on the management network, where the API could listen (${hostMgmt()}:${port})`,
        `the host's loopback (127.0.0.1:${loopPort})`,
      ];
      const controls = [...open, ...loopControl];
      inGuest.forEach((a, i) =>
        rows.push({
          attempt: `connect to ${names[i] ?? a.attempt}`,
          measure: "own network namespace; management guard (nftables on the bridge)",
          guest: cell(a),
          control: cell(controls[i]),
        }),
      );
    }, 60_000);

    test("a raw packet with another guest's address does not reach the host; the same with its own does", async () => {
      const magic = `txbox-spoof-${tag}`;
      const receiver = rawReceiver(magic);
      try {
        await new Promise((res) => setTimeout(res, 300)); // the receiver's socket is open
        const spoofed = await guest(
          probe("spoof", addr[652] ?? "", hostMgmt(), String(port), `${magic}-spoofed`),
        );
        const own = await guest(
          probe("spoof", addr[651] ?? "", hostMgmt(), String(port), `${magic}-own`),
        );
        expect(ok([...spoofed, ...own])).toEqual([
          { [`raw packet from ${addr[652]}`]: true },
          { [`raw packet from ${addr[651]}`]: true },
        ]);
        await new Promise((res) => setTimeout(res, 500));
      } finally {
        receiver.child.kill("SIGTERM");
      }
      const seen = await receiver.seen;
      // Control: the guard forwards this shape (sshd's reply) from the guest's own address...
      expect(seen).toContain(`${addr[651]} ${magic}-own`);
      // ...and drops it from any address the guest's port does not own.
      expect(seen.filter((l) => l.includes("spoofed"))).toEqual([]);
      rows.push({
        attempt: "raw TCP packet to the host with another guest's source address",
        measure: "management guard pairs each bridge port with its guest's address",
        guest: "fails (dropped on the bridge)",
        control: "works with the guest's own address (delivered to the host)",
      });
    }, 60_000);
  });
});

/** Host pid of the process whose argv is exactly `argv` (waits up to 5 s for it to appear). */
async function hostPidOf(argv: string[]): Promise<number> {
  const want = `${argv.join("\0")}\0`;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    for (const p of await readdir("/proc")) {
      if (!/^\d+$/.test(p)) continue;
      const cmd = await readFile(`/proc/${p}/cmdline`, "utf8").catch(() => "");
      if (cmd === want) return Number(p);
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no process ${argv.join(" ")}`);
}

/** A raw TCP socket on the host printing "source payload" of segments carrying `magic`. */
function rawReceiver(magic: string): { child: ChildProcess; seen: Promise<string[]> } {
  const py = [
    "import socket, sys",
    "s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)",
    "while True:",
    "    d, a = s.recvfrom(65535)",
    "    i = d.find(sys.argv[1].encode())",
    "    if i >= 0: print(a[0], d[i:].decode(errors='replace').strip(), flush=True)",
  ].join("\n");
  const child = spawn("/usr/bin/python3", ["-c", py, magic], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  const seen = new Promise<string[]>((res) =>
    child.once("close", () => res(out.split("\n").filter(Boolean))),
  );
  return { child, seen };
}
