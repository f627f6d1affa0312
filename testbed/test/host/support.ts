// Shared set-up of the host realiser's integration tests: root check, a realiser on a private
// state directory and management range, an operator key, and an ssh2 client that pins host keys.
import { createHash } from "node:crypto";
import { lstat, mkdtemp, readFile, readdir, readlink, rm } from "node:fs/promises";
import { join } from "node:path";

import ssh2 from "ssh2";

import { HostRealiser, type HostRealiserOptions } from "../../src/realise/host/index.js";
import type { GuestRuntimeSpec, VolumeRef } from "../../src/realise/types.js";
import { describeWith, hostTestbed, ROOTFS } from "../../../test/support/requirements.js";

const { Client, utils } = ssh2;

export { ROOTFS };

/**
 * `describe` when the host tests can run (root, the guest rootfs, the tools), else skipped with
 * the reason in its name, or failing under CI / TXBOX_REQUIRE_E2E=1.
 */
export function describeHost(name: string, fn: () => void): void {
  describeWith(name, hostTestbed(), fn);
}

/** Removes a test's state directory, but never while something is still mounted below it. */
export async function removeStateDir(dir: string): Promise<void> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  const below = mountinfo.split("\n").filter((l) => (l.split(" ")[4] ?? "").startsWith(`${dir}/`));
  if (below.length > 0)
    throw new Error(`not removing ${dir}: still mounted below it:\n${below.join("\n")}`);
  await rm(dir, { recursive: true, force: true });
}

export async function newRealiser(
  name: string,
  cidr: string,
  sdn?: HostRealiserOptions["sdn"],
): Promise<HostRealiser> {
  const stateDir = await mkdtemp(join("/var/tmp", `txbox-test-${name}-`));
  return new HostRealiser({
    stateDir,
    storages: [
      {
        id: "local-btrfs",
        type: "btrfs",
        content: ["images", "rootdir"],
        sizeBytes: 6 * 1024 ** 3,
      },
      { id: "tank", type: "zfspool", content: ["images", "rootdir"], sizeBytes: 6 * 1024 ** 3 },
    ],
    mgmt: { cidr },
    rootfsTarball: ROOTFS,
    ...(sdn === undefined ? {} : { sdn }),
  });
}

/**
 * `init()`, waiting while another testbed on this machine (a parallel test run) holds the
 * management range; init refuses before it mounts anything, so retrying is clean.
 */
export async function initWhenFree(r: HostRealiser, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await r.init();
      return;
    } catch (e) {
      if (!/another testbed/.test(String(e)) || Date.now() > deadline) throw e;
      await new Promise((res) => setTimeout(res, 1000));
    }
  }
}

export interface OperatorKey {
  privateKey: string;
  publicKey: string;
}

export function operatorKey(): OperatorKey {
  // ssh2 1.17 sometimes (about 1 in 600) writes an ed25519 key its own parser rejects.
  for (let i = 0; i < 10; i++) {
    const k = utils.generateKeyPairSync("ed25519", { comment: "txbox-test" });
    if (!(utils.parseKey(k.private) instanceof Error))
      return { privateKey: k.private, publicKey: k.public };
  }
  throw new Error("ssh2 did not generate a parseable ed25519 key in 10 tries");
}

export function spec(
  vmid: number,
  rootfs: VolumeRef,
  extra: Partial<GuestRuntimeSpec> = {},
): GuestRuntimeSpec {
  return {
    vmid,
    type: rootfs.volume.startsWith("vm-") ? "qemu" : "lxc",
    node: "pve1",
    hostname: `guest${vmid}`,
    rootfs,
    memoryMiB: 512,
    cores: 1,
    pids: 256,
    nets: [],
    ...extra,
  };
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `SHA256:…` of a raw SSH public key blob, as ssh-keygen prints it. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** An SSH connection to a guest that accepts only the pinned host-key fingerprints. */
export function connectSsh(
  host: string,
  key: OperatorKey,
  pinned: string[],
  timeoutMs = 5000,
): Promise<InstanceType<typeof Client>> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.once("ready", () => resolve(c));
    c.once("error", reject);
    c.connect({
      host,
      port: 22,
      username: "root",
      privateKey: key.privateKey,
      readyTimeout: timeoutMs,
      hostVerifier: (k: Buffer) => pinned.includes(fingerprintOf(k)),
    });
  });
}

export function exec(
  c: InstanceType<typeof Client>,
  command: string,
  timeoutMs = 60_000,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ssh exec timed out: ${command}`)), timeoutMs);
    c.exec(command, (err, stream) => {
      if (err) {
        clearTimeout(timer);
        reject(err);
        return;
      }
      let stdout = "";
      let stderr = "";
      stream.on("data", (d: Buffer) => (stdout += d.toString()));
      stream.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      stream.on("close", (code: number | null) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  });
}

/** One command over a fresh connection. */
export async function sshRun(
  host: string,
  key: OperatorKey,
  pinned: string[],
  command: string,
): Promise<ExecResult> {
  const c = await connectSsh(host, key, pinned);
  try {
    return await exec(c, command);
  } finally {
    c.end();
  }
}

/** Retries until an SSH session opens (with pinned keys) or the timeout passes. */
export async function waitSsh(
  host: string,
  key: OperatorKey,
  pinned: string[],
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const c = await connectSsh(host, key, pinned, 2000);
      c.end();
      return;
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`ssh to ${host} not ready after ${timeoutMs} ms: ${String(last)}`);
}

/** Injects a fresh host key pair and the operator's key, starts the guest, waits for its SSH. */
export async function bootGuest(
  r: HostRealiser,
  guest: GuestRuntimeSpec,
  key: OperatorKey,
): Promise<{ pins: string[]; address: string }> {
  const injected = await r.injectSsh(guest.rootfs, {
    authorizedKeys: [key.publicKey],
    regenerateHostKeys: true,
  });
  await r.startGuest(guest);
  const address = (await r.guestStatus(guest.vmid)).mgmtAddress ?? "";
  await waitSsh(address, key, injected.hostKeyFingerprints);
  return { pins: injected.hostKeyFingerprints, address };
}

/**
 * Manifest of a directory tree on the host: path → type, mode, owner and content hash (files) or
 * target (symlinks). Two trees are byte-identical when their manifests are equal.
 */
export async function treeManifest(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    const abs = join(root, rel);
    const st = await lstat(abs);
    const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) {
      out.set(rel, `l ${meta} ${await readlink(abs)}`);
    } else if (st.isDirectory()) {
      out.set(rel, `d ${meta}`);
      for (const name of (await readdir(abs)).sort()) await walk(rel ? `${rel}/${name}` : name);
    } else if (st.isFile()) {
      out.set(
        rel,
        `f ${meta} ${createHash("sha256")
          .update(await readFile(abs))
          .digest("hex")}`,
      );
    } else {
      out.set(rel, `o ${meta} ${st.rdev}`);
    }
  };
  await walk("");
  return out;
}

/** Entries that differ between two manifests (for readable failures). */
export function manifestDiff(a: Map<string, string>, b: Map<string, string>): string[] {
  const diff: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) diff.push(`${k}: ${v} != ${b.get(k) ?? "(missing)"}`);
  for (const k of b.keys()) if (!a.has(k)) diff.push(`${k}: (missing) != ${b.get(k) ?? ""}`);
  return diff;
}
