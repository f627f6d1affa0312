/**
 * Snapshot benchmark of the host realiser: a running guest holding N files (default 10,000);
 * per run: snapshot (freeze, btrfs snapshot, thaw), change files, rollback (hard stop + subvolume
 * swap) and rollback-to-SSH-ready (start + first pinned SSH command). Prints medians of R runs.
 *
 * Run as root after a build: `node testbed/lib/realise/host/bench.js [--runs 10] [--files 10000]`.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { parseArgs } from "node:util";

import ssh2 from "ssh2";

import type { VolumeRef } from "../types.js";
import { HostRealiser } from "./index.js";
import { mountPoints } from "./storage.js";

const { Client, utils } = ssh2;

interface Key {
  privateKey: string;
  publicKey: string;
}

function sshExec(
  host: string,
  key: Key,
  pins: string[],
  command: string,
  timeoutMs = 10_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    const timer = setTimeout(
      () => (c.end(), reject(new Error(`ssh ${command}: timeout`))),
      timeoutMs,
    );
    c.once("error", (e) => (clearTimeout(timer), reject(e)));
    c.once("ready", () => {
      c.exec(command, (err, stream) => {
        if (err) return (clearTimeout(timer), c.end(), reject(err));
        let out = "";
        stream.on("data", (d: Buffer) => (out += d.toString()));
        stream.stderr.on("data", () => undefined);
        stream.on("close", (code: number) => {
          clearTimeout(timer);
          c.end();
          if (code === 0) resolve(out);
          else reject(new Error(`ssh ${command}: exit ${code}`));
        });
      });
    });
    c.connect({
      host,
      username: "root",
      privateKey: key.privateKey,
      readyTimeout: timeoutMs,
      hostVerifier: (k: Buffer) =>
        pins.includes(
          `SHA256:${createHash("sha256").update(k).digest("base64").replace(/=+$/, "")}`,
        ),
    });
  });
}

/** Time from now until a pinned SSH command succeeds (retrying refused/failed connections). */
async function untilSsh(host: string, key: Key, pins: string[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await sshExec(host, key, pins, "true", 3000);
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};

interface Row {
  snapshot: number;
  stop: number;
  rollback: number;
  toSsh: number;
}

/** A running guest on a fresh host realiser, reachable with a pinned key. */
interface BenchGuest {
  r: HostRealiser;
  stateDir: string;
  ref: VolumeRef;
  spec: Parameters<HostRealiser["startGuest"]>[0];
  host: string;
  key: Key;
  pins: string[];
}

function options(): { runs: number; files: number; cidr: string; rootfs: string | undefined } {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "10" },
      files: { type: "string", default: "10000" },
      cidr: { type: "string", default: "10.213.51.0/24" },
      rootfs: { type: "string" },
    },
  });
  const runs = Number(values.runs);
  const files = Number(values.files);
  if (!(runs >= 1 && files >= 1)) throw new Error("--runs and --files must be positive integers");
  return { runs, files, cidr: values.cidr, rootfs: values.rootfs };
}

/** The realiser and the guest's volume and spec (nothing started yet). */
async function realiser(o: ReturnType<typeof options>) {
  const stateDir = await mkdtemp("/var/tmp/txbox-bench-");
  const r = new HostRealiser({
    stateDir,
    storages: [
      { id: "local-btrfs", type: "btrfs", content: ["rootdir"], sizeBytes: 4 * 1024 ** 3 },
    ],
    mgmt: { cidr: o.cidr },
    ...(o.rootfs ? { rootfsTarball: o.rootfs } : {}),
  });
  const vmid = 901;
  const ref: VolumeRef = { storage: "local-btrfs", volume: `subvol-${vmid}-disk-0` };
  const spec = {
    vmid,
    type: "lxc" as const,
    node: "bench",
    hostname: "bench",
    rootfs: ref,
    memoryMiB: 512,
    cores: 1,
    nets: [],
  };
  return { r, stateDir, ref, spec };
}

/** Start the guest with a fresh key and fill /srv/bench with `files` files. */
async function startGuest(
  base: Awaited<ReturnType<typeof realiser>>,
  files: number,
): Promise<BenchGuest> {
  const { r, ref, spec } = base;
  // ssh2 1.17 now and then (about 1 in 600) writes an ed25519 key its own parser rejects.
  let k = utils.generateKeyPairSync("ed25519");
  for (let i = 0; i < 10 && utils.parseKey(k.private) instanceof Error; i++)
    k = utils.generateKeyPairSync("ed25519");
  const key = { privateKey: k.private, publicKey: k.public };
  await r.init();
  await r.createVolume(ref, {});
  const pins = (
    await r.injectSsh(ref, { authorizedKeys: [key.publicKey], regenerateHostKeys: true })
  ).hostKeyFingerprints;
  await r.startGuest(spec);
  const host = (await r.guestStatus(spec.vmid)).mgmtAddress ?? "";
  await untilSsh(host, key, pins);
  const made = await sshExec(
    host,
    key,
    pins,
    `python3 -c "import os
os.makedirs('/srv/bench', exist_ok=True)
for i in range(${files}):
    d = '/srv/bench/d%03d' % (i // 100); os.makedirs(d, exist_ok=True)
    open('%s/f%05d' % (d, i), 'w').write('file %d\\n' % i * 8)
" && find /srv/bench -type f | wc -l`,
    120_000,
  );
  console.log(`guest ${spec.vmid} at ${host}: ${made.trim()} files in /srv/bench`);
  return { ...base, host, key, pins };
}

/** One run: snapshot, change files, hard stop, roll back, start until SSH answers; checked. */
async function oneRun(g: BenchGuest, i: number, files: number): Promise<Row> {
  const { r, ref, spec, host, key, pins } = g;
  const snap = `bench${i}`;
  let t = process.hrtime.bigint();
  await r.freeze(spec.vmid);
  await r.snapshotVolume(ref, snap);
  await r.thaw(spec.vmid);
  const snapshot = ms(t);
  await sshExec(host, key, pins, "rm -rf /srv/bench/d000 && echo changed > /srv/bench/new && sync");
  t = process.hrtime.bigint();
  await r.stopGuest(spec.vmid, { graceful: false, timeoutMs: 0 });
  const stop = ms(t);
  t = process.hrtime.bigint();
  await r.rollbackVolume(ref, snap);
  const rollback = ms(t);
  t = process.hrtime.bigint();
  await r.startGuest(spec);
  await untilSsh(host, key, pins);
  const toSsh = ms(t);
  const check = await sshExec(
    host,
    key,
    pins,
    "find /srv/bench -type f | wc -l; test ! -e /srv/bench/new",
  );
  if (check.trim() !== String(files))
    throw new Error(`rollback ${i} left ${check.trim()} files, want ${files}`);
  await r.deleteVolumeSnapshot(ref, snap);
  return { snapshot, stop, rollback, toSsh };
}

async function main(): Promise<void> {
  const o = options();
  const base = await realiser(o);
  const rows: Row[] = [];
  try {
    const g = await startGuest(base, o.files);
    for (let i = 0; i < o.runs; i++) {
      const row = await oneRun(g, i, o.files);
      rows.push(row);
      console.log(
        `run ${i + 1}/${o.runs}: snapshot ${row.snapshot.toFixed(1)} ms, stop ${row.stop.toFixed(1)} ms, ` +
          `rollback ${row.rollback.toFixed(1)} ms, start→ssh ${row.toSsh.toFixed(1)} ms`,
      );
    }
  } finally {
    await base.r.teardown();
    const left = (await mountPoints()).filter((m) => m.startsWith(`${base.r.resolvedStateDir}/`));
    if (left.length === 0) await rm(base.stateDir, { recursive: true, force: true });
  }
  const med = (f: (x: Row) => number): number => median(rows.map(f));
  const summary = {
    files: o.files,
    runs: o.runs,
    medianMs: {
      snapshot: med((x) => x.snapshot),
      stop: med((x) => x.stop),
      rollback: med((x) => x.rollback),
      startToSsh: med((x) => x.toSsh),
      rollbackToSshReady: med((x) => x.stop + x.rollback + x.toSsh),
    },
    targetsMs: { snapshot: 100, rollbackToSshReady: 2000 },
  };
  console.log(JSON.stringify(summary, null, 2));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
