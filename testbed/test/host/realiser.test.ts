// The host realiser driven directly: confinement of a guest, snapshot/rollback fidelity, status,
// stop, clones, on both storages. Real sshd over ssh2 with pinned host keys; real btrfs.
import { randomBytes } from "node:crypto";
import { existsSync, readlinkSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type AddressInfo } from "node:net";
import { join } from "node:path";

import { run as runHost } from "../../src/realise/host/exec.js";
import type { HostRealiser } from "../../src/realise/host/index.js";
import { snapHelper } from "../../src/realise/host/snap-helper.js";
import type { VolumeRef } from "../../src/realise/types.js";
import {
  describeHost,
  removeStateDir,
  manifestDiff,
  newRealiser,
  operatorKey,
  spec,
  sshRun,
  treeManifest,
  waitSsh,
  type OperatorKey,
} from "./support.js";

const CAP = {
  DAC_READ_SEARCH: 2,
  SYS_PTRACE: 19,
  MKNOD: 27,
  SYS_ADMIN: 21,
  SYS_MODULE: 16,
  SYS_RAWIO: 17,
  SYS_BOOT: 22,
  SYS_TIME: 25,
  NET_ADMIN: 12,
};

function tcpRefused(host: string, port = 22): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(2000, () => (s.destroy(), resolve(true)));
    s.once("connect", () => (s.destroy(), resolve(false)));
    s.once("error", () => resolve(true));
  });
}

describeHost("HostRealiser (integration, as root)", () => {
  let r: HostRealiser;
  let key: OperatorKey;
  const ct: VolumeRef = { storage: "local-btrfs", volume: "subvol-201-disk-0" };
  const vm: VolumeRef = { storage: "tank", volume: "vm-202-disk-0" };
  let pins: Record<number, string[]> = {};
  let addr: Record<number, string> = {};
  const sentinel = `/var/tmp/txbox-host-sentinel-${randomBytes(4).toString("hex")}`;

  const run = (vmid: number, command: string) =>
    sshRun(addr[vmid] ?? "", key, pins[vmid] ?? [], command);

  async function boot(vmid: number, ref: VolumeRef): Promise<void> {
    await r.startGuest(spec(vmid, ref));
    const st = await r.guestStatus(vmid);
    addr[vmid] = st.mgmtAddress ?? "";
    await waitSsh(addr[vmid] ?? "", key, pins[vmid] ?? []);
  }

  beforeAll(async () => {
    r = await newRealiser("realiser", "10.213.21.0/24");
    key = operatorKey();
    await writeFile(sentinel, "host sentinel\n");
    await r.init();
    for (const [vmid, ref] of [
      [201, ct],
      [202, vm],
    ] as const) {
      await r.createVolume(ref, {});
      const { hostKeyFingerprints } = await r.injectSsh(ref, {
        authorizedKeys: [key.publicKey],
        regenerateHostKeys: true,
      });
      pins[vmid] = hostKeyFingerprints;
      await boot(vmid, ref);
    }
  }, 180_000);

  afterAll(async () => {
    await r?.teardown();
    await rm(sentinel, { force: true });
    if (r) await removeStateDir(r.resolvedStateDir);
    pins = {};
    addr = {};
  }, 120_000);

  test("injectSsh reports distinct SHA256 host-key fingerprints that the guest's sshd presents", async () => {
    expect(pins[201]).toHaveLength(2);
    for (const fp of pins[201] ?? []) expect(fp).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(pins[201]).not.toEqual(pins[202]);
    // A client pinning another guest's keys must be refused.
    await expect(sshRun(addr[201] ?? "", key, pins[202] ?? [], "true")).rejects.toThrow();
  });

  test("a guest is confined: own root, no host files, private /dev, read-only /proc knobs, reduced caps", async () => {
    const marker = `marker-${randomBytes(4).toString("hex")}`;
    const res = await run(
      201,
      [
        `echo inside > /root/${marker}`,
        `test -e ${sentinel} && echo SENTINEL-VISIBLE`,
        "echo dev: $(ls -A /dev | sort | tr '\\n' ' ')",
        "echo blockdevs: $(find / -xdev -type b 2>/dev/null | wc -l) $(find /dev -type b | wc -l)",
        "mknod /tmp/blk b 7 0 2>/dev/null && echo MKNOD-OK",
        "mount -t tmpfs none /mnt 2>/dev/null && echo MOUNT-OK",
        "echo 1 > /proc/sys/kernel/panic 2>/dev/null && echo SYSCTL-OK",
        "echo h > /proc/sysrq-trigger 2>/dev/null && echo SYSRQ-OK",
        "head -c1 /proc/kcore >/dev/null 2>&1 && echo KCORE-OK",
        "echo sys: $(ls -A /sys | wc -l)",
        "grep -E '^(CapBnd|CapEff|NoNewPrivs):' /proc/self/status",
        "echo procs: $(ps -eo comm= | sort -u | tr '\\n' ' ')",
        "echo host: $(hostname)",
      ].join("; "),
    );
    expect(res.stdout).not.toMatch(
      /SENTINEL-VISIBLE|MKNOD-OK|MOUNT-OK|SYSCTL-OK|SYSRQ-OK|KCORE-OK/,
    );
    // The guest's / is its subvolume: what it writes appears there on the host.
    expect(existsSync(join(r.volumePath(ct), "root", marker))).toBe(true);
    expect(res.stdout).toMatch(/blockdevs: 0 0/);
    const dev = /dev: (.*)/.exec(res.stdout)?.[1]?.trim().split(" ");
    expect(dev).toEqual([
      "core",
      "fd",
      "full",
      "null",
      "ptmx",
      "pts",
      "random",
      "shm",
      "stderr",
      "stdin",
      "stdout",
      "tty",
      "urandom",
      "zero",
    ]);
    expect(res.stdout).toMatch(/sys: 0/);
    expect(res.stdout).toMatch(/NoNewPrivs:\s+1/);
    for (const which of ["CapBnd", "CapEff"]) {
      const mask = BigInt(
        `0x${new RegExp(`${which}:\\s+([0-9a-f]+)`).exec(res.stdout)?.[1] ?? "ffffffffff"}`,
      );
      for (const [name, bit] of Object.entries(CAP)) {
        expect({ which, name, has: (mask >> BigInt(bit)) & 1n }).toEqual({ which, name, has: 0n });
      }
    }
    const procs = /procs: (.*)/.exec(res.stdout)?.[1]?.trim().split(" ") ?? [];
    expect(procs.filter((p) => !["bash", "bwrap", "ps", "sort", "sshd", "tr"].includes(p))).toEqual(
      [],
    );
    expect(res.stdout).toMatch(/host: guest201/);
  });

  test("snapshot (running, frozen) then rollback restores a byte-identical tree", async () => {
    const setup = await run(
      201,
      [
        "set -e",
        "mkdir -p /srv/work/sub/deep",
        "echo alpha > /srv/work/a.txt && chmod 640 /srv/work/a.txt",
        "printf '#!/bin/sh\\necho hi\\n' > /srv/work/run.sh && chmod 755 /srv/work/run.sh",
        "head -c 1048576 /dev/urandom > /srv/work/sub/blob.bin",
        "echo deep > /srv/work/sub/deep/d.txt && chmod 600 /srv/work/sub/deep/d.txt",
        "ln -s sub/deep/d.txt /srv/work/link",
        "echo changed-motd > /etc/motd",
        "cd /srv/work && find . -printf '%p %m %y\\n' | sort && find . -type f | sort | xargs sha256sum",
      ].join("\n"),
    );
    expect(setup.code).toBe(0);
    await r.freeze(201);
    try {
      await r.snapshotVolume(ct, "before");
    } finally {
      await r.thaw(201);
    }
    expect(await r.volumeSnapshotExists(ct, "before")).toBe(true);
    const change = await run(
      201,
      [
        "set -e",
        "echo beta >> /srv/work/a.txt",
        "rm -rf /srv/work/sub",
        "chmod 777 /srv/work/run.sh",
        "echo new > /srv/work/new.txt",
        "rm /etc/motd",
      ].join("\n"),
    );
    expect(change.code).toBe(0);
    await r.stopGuest(201, { graceful: true, timeoutMs: 5000 });
    const snapTree = await treeManifest(
      join(r.storageMountPoint("local-btrfs"), "snapshots", ct.volume, "before"),
    );
    expect(manifestDiff(await treeManifest(r.volumePath(ct)), snapTree).length).toBeGreaterThan(0);
    await r.rollbackVolume(ct, "before");
    expect(manifestDiff(await treeManifest(r.volumePath(ct)), snapTree)).toEqual([]);
    await boot(201, ct);
    const after = await run(
      201,
      "cd /srv/work && find . -printf '%p %m %y\\n' | sort && find . -type f | sort | xargs sha256sum; cat /etc/motd",
    );
    expect(after.stdout).toBe(`${setup.stdout}changed-motd\n`);
  }, 120_000);

  test("on the management network guests answer the host's SSH but open no connection, to each other or to the host", async () => {
    const server = createServer((sock) => sock.on("error", () => undefined).end("host service\n"));
    const hostAddr = (await r.guestStatus(201)).mgmtAddress?.replace(/\.\d+$/, ".1") ?? "";
    await new Promise<void>((res) => server.listen(0, hostAddr, res));
    const port = (server.address() as AddressInfo).port;
    try {
      const probe = (host: string, p: number) =>
        `timeout 3 bash -c 'exec 3<>/dev/tcp/${host}/${p}' && echo ${host}:${p}=open || echo ${host}:${p}=closed`;
      // Controls: from the host, 202's sshd and the host's service are reachable.
      expect(await tcpRefused(addr[202] ?? "")).toBe(false);
      expect(await tcpRefused(hostAddr, port)).toBe(false);
      const res = await run(
        201,
        `${probe("127.0.0.1", 22)}; ${probe(addr[202] ?? "", 22)}; ${probe(hostAddr, port)}`,
      );
      expect(res.stdout).toBe(
        `127.0.0.1:22=open\n${addr[202]}:22=closed\n${hostAddr}:${port}=closed\n`,
      );
    } finally {
      server.close();
    }
  });

  test("rollback and destroy refuse a volume whose guest is running", async () => {
    await expect(r.rollbackVolume(ct, "before")).rejects.toThrow(/guest 201 is running/);
    await expect(r.destroyVolume(ct)).rejects.toThrow(/guest 201 is running/);
  });

  test("status reports real pid, memory and CPU; the memory limit holds; stop makes the guest unreachable", async () => {
    const st0 = await r.guestStatus(202);
    expect(st0).toMatchObject({ running: true, maxmem: 512 * 1024 * 1024 });
    expect(st0.mem).toBeGreaterThan(1024 * 1024);
    // A real process of this guest: not undefined (kill(-1, 0) succeeds as root), not ours.
    const pid = st0.pid ?? 0;
    expect(pid).toBeGreaterThan(1);
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(readlinkSync(`/proc/${pid}/ns/net`)).not.toBe(readlinkSync("/proc/self/ns/net"));
    await run(202, "timeout 1 sh -c 'while :; do :; done' || true");
    const st1 = await r.guestStatus(202);
    expect(st1.cpu).toBeGreaterThan(0.05);
    // The memory limit (512 MiB) is real: touching 800 MiB gets the process OOM-killed.
    const oom = await run(
      202,
      `python3 -c "b = b'x' * (800 << 20); print('allocated')"; echo rc=$?`,
    );
    expect(oom.stdout).toBe("rc=137\n");
    const small = await run(
      202,
      `python3 -c "b = b'x' * (100 << 20); print('allocated')"; echo rc=$?`,
    );
    expect(small.stdout).toBe("allocated\nrc=0\n");
    await r.stopGuest(202, { graceful: true, timeoutMs: 5000 });
    expect(await r.guestStatus(202)).toEqual({
      running: false,
      uptime: 0,
      mem: 0,
      maxmem: 0,
      cpu: 0,
    });
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await tcpRefused(addr[202] ?? "")).toBe(true);
    // Stopping again is success.
    await r.stopGuest(202, { graceful: false, timeoutMs: 0 });
  }, 60_000);

  test("zfspool storage: snapshot, rollback, delete snapshot", async () => {
    await r.snapshotVolume(vm, "s1");
    await writeFile(join(r.volumePath(vm), "root", "after-s1"), "x");
    await r.rollbackVolume(vm, "s1");
    expect(existsSync(join(r.volumePath(vm), "root", "after-s1"))).toBe(false);
    await r.deleteVolumeSnapshot(vm, "s1");
    await r.deleteVolumeSnapshot(vm, "s1");
    expect(await r.volumeSnapshotExists(vm, "s1")).toBe(false);
    await expect(r.rollbackVolume(vm, "s1")).rejects.toThrow(/does not exist/);
  });

  test("the snapshot helper: a read-only snapshot holds what was just written; a writable one takes writes; failures say why", async () => {
    const helper = snapHelper();
    if (helper === undefined) return; // not built (no C compiler): `btrfs` runs, as tested above
    const mnt = r.storageMountPoint("tank");
    const src = r.volumePath(vm);
    const ro = join(mnt, `helper-ro-${randomBytes(3).toString("hex")}`);
    const rw = `${ro}-rw`;
    const data = randomBytes(4096).toString("hex");
    await writeFile(join(src, "root", "helper-written"), data); // not synced: btrfs flushes it
    try {
      await Promise.all([
        helper(src, ro, { readonly: true, sync: false }),
        helper(src, rw, { readonly: false, sync: true }),
      ]);
      expect(await readFile(join(ro, "root", "helper-written"), "utf8")).toBe(data);
      await expect(writeFile(join(ro, "root", "x"), "x")).rejects.toMatchObject({ code: "EROFS" });
      await writeFile(join(rw, "root", "x"), "x");
      expect((await runHost(["btrfs", "property", "get", "-ts", ro, "ro"])).stdout.trim()).toBe(
        "ro=true",
      );
      await expect(
        helper(join(mnt, "no-such-volume"), `${ro}-2`, { readonly: true, sync: false }),
      ).rejects.toThrow(/open source: No such file or directory/);
      await expect(helper(src, ro, { readonly: true, sync: false })).rejects.toThrow(/File exists/);
    } finally {
      await rm(join(src, "root", "helper-written"), { force: true });
      for (const p of [ro, rw])
        if (existsSync(p)) await runHost(["btrfs", "-q", "subvolume", "delete", p]);
    }
  });

  test("linked clone from a snapshot and full clone across storages boot with their own host keys", async () => {
    const linked: VolumeRef = { storage: "local-btrfs", volume: "subvol-203-disk-0" };
    const full: VolumeRef = { storage: "tank", volume: "vm-204-disk-0" };
    await r.cloneVolume(ct, linked, { linked: true, fromSnapshot: "before" });
    await r.cloneVolume(ct, linked, { linked: true, fromSnapshot: "before" }); // idempotent
    await r.cloneVolume(ct, full, { linked: false });
    await expect(
      r.cloneVolume(ct, { storage: "tank", volume: "vm-205-disk-0" }, { linked: true }),
    ).rejects.toThrow(/same storage/);
    for (const [vmid, ref] of [
      [203, linked],
      [204, full],
    ] as const) {
      pins[vmid] = (
        await r.injectSsh(ref, { authorizedKeys: [key.publicKey], regenerateHostKeys: true })
      ).hostKeyFingerprints;
      expect(pins[vmid]).not.toEqual(pins[201]);
      await boot(vmid, ref);
      const res = await run(vmid, "cat /srv/work/a.txt; hostname");
      expect(res.stdout).toBe(`alpha\nguest${vmid}\n`);
      await r.stopGuest(vmid, { graceful: false, timeoutMs: 0 });
      await r.destroyVolume(ref);
      await r.destroyVolume(ref); // missing = success
      expect(existsSync(r.volumePath(ref))).toBe(false);
    }
  }, 120_000);

  test("a guest that cannot start fails with its log and leaves no namespace, cgroup or process", async () => {
    const broken: VolumeRef = { storage: "local-btrfs", volume: "subvol-206-disk-0" };
    await r.createVolume(broken, {});
    await rm(join(r.volumePath(broken), "usr", "sbin", "sshd"));
    await expect(r.startGuest(spec(206, broken))).rejects.toThrow(/guest 206 exited during start/);
    expect((await r.guestStatus(206)).running).toBe(false);
    expect(existsSync(`/run/netns/${r.hostNames.guestNetns(206)}`)).toBe(false);
    expect(existsSync(join("/sys/fs/cgroup/pids", r.hostNames.guestCgroup(206)))).toBe(false);
    await r.destroyVolume(broken);
  });

  test("a second testbed on the same management range is refused before it mounts anything", async () => {
    const other = await newRealiser("realiser-clash", "10.213.21.128/25");
    try {
      await expect(other.init()).rejects.toThrow(
        /overlaps 10\.213\.21\.1\/24 on host interface tb/,
      );
      const mounts = await readFile("/proc/self/mountinfo", "utf8");
      expect(mounts).not.toContain(other.resolvedStateDir);
      expect(existsSync(`/run/txbox/host-realiser/${other.hostNames.tag}.json`)).toBe(false);
    } finally {
      await removeStateDir(other.resolvedStateDir);
    }
  });

  test("storage usage comes from the mounted btrfs image", async () => {
    const u = await r.storageUsage("tank");
    expect(u.active).toBe(true);
    expect(u.total).toBeGreaterThan(5 * 1024 ** 3);
    expect(u.total).toBeLessThanOrEqual(6 * 1024 ** 3);
    expect(u.used).toBeGreaterThan(0);
    await expect(r.storageUsage("nope")).rejects.toThrow(/unknown storage "nope"/);
  });
});
