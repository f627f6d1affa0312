// TEST DOUBLE — not a Proxmox guest. Each "guest" is a local directory: `root/` is its file
// system, `snapshots/<name>/` are full copies, `meta.json` holds the snapshot tree, the power
// state and the Proxmox-style lock. Commands run for real (bash, cwd = root) in their own
// process group, and a rollback kills them (as PVE stops the guest) before restoring the copy.
// All state is on disk, so a crashed child process and the test process share it.
// Plain JavaScript so that the crash-test child (plain node) can import it too.
import { spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  renameSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout, clearTimeout } from "node:timers";

/** A marker file in a guest's root: while it exists, the guest does not answer over "SSH". */
export const SSHD_DOWN = ".sshd-down";

export class DirGuests {
  /**
   * @param {string} base directory holding one `guest-<vmid>` directory per guest
   * @param {{ rollbackOnlyNewest?: boolean, stopOnRollback?: boolean }} [options]
   *   stopOnRollback: a rollback leaves the guest stopped (a VM snapshot without RAM state)
   */
  constructor(base, options = {}) {
    this.base = base;
    this.zfs = options.rollbackOnlyNewest ?? false;
    this.stopOnRollback = options.stopOnRollback ?? false;
    /** Faults armed by tests: each is consumed by the next matching call. */
    this.faults = { createFails: 0, removeLeavesLock: 0, rollbackFails: 0, execTransportFails: 0 };
    /** Calls and command lifecycles, in order, for assertions. */
    this.log = [];
    this.seq = 0;
  }

  dir(guest) {
    return join(this.base, `guest-${guest.vmid}`);
  }

  root(guest) {
    return join(this.dir(guest), "root");
  }

  /** Create the guest with the given files (path → content) if it does not exist. */
  ensure(guest, files = {}) {
    if (!existsSync(join(this.dir(guest), "meta.json"))) {
      mkdirSync(join(this.dir(guest), "snapshots"), { recursive: true });
      mkdirSync(join(this.dir(guest), "pids"), { recursive: true });
      mkdirSync(this.root(guest), { recursive: true });
      this.writeMeta(guest, { snapshots: [], running: true, current: null, clock: 0 });
    }
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.root(guest), path);
      mkdirSync(join(full, ".."), { recursive: true });
      writeFileSync(full, content);
    }
    return this.root(guest);
  }

  meta(guest) {
    return JSON.parse(readFileSync(join(this.dir(guest), "meta.json"), "utf8"));
  }

  writeMeta(guest, meta) {
    const file = join(this.dir(guest), "meta.json");
    writeFileSync(file + ".tmp", JSON.stringify(meta));
    renameSync(file + ".tmp", file);
  }

  record(vmid, kind, detail) {
    this.log.push({ seq: ++this.seq, vmid, kind, detail });
  }

  assertUnlocked(meta, guest) {
    if (meta.lock) throw new Error(`VM ${guest.vmid} is locked (${meta.lock})`);
  }

  /** The SnapshotPort of these guests. File operations are synchronous on purpose: see crash tests. */
  snapshotPort() {
    return {
      exists: async (guest) => existsSync(join(this.dir(guest), "meta.json")),
      create: async (guest, name, description) => {
        this.record(guest.vmid, "create", name);
        const meta = this.meta(guest);
        const existing = meta.snapshots.find((s) => s.name === name);
        if (existing) {
          if (existing.description === description) return;
          throw new Error(`snapshot name '${name}' already used`);
        }
        this.assertUnlocked(meta, guest);
        if (this.faults.createFails > 0) {
          this.faults.createFails--;
          throw new Error("storage error: out of space (injected)");
        }
        cpSync(this.root(guest), join(this.dir(guest), "snapshots", name), { recursive: true });
        meta.clock += 1;
        meta.snapshots.push({
          name,
          description,
          parent: meta.current ?? undefined,
          snaptime: meta.clock,
        });
        meta.current = name;
        this.writeMeta(guest, meta);
      },
      rollback: async (guest, name) => {
        this.record(guest.vmid, "rollback", name);
        const meta = this.meta(guest);
        this.assertUnlocked(meta, guest);
        const snap = meta.snapshots.find((s) => s.name === name);
        if (!snap) throw new Error(`snapshot '${name}' does not exist`);
        if (this.zfs && meta.current !== name) {
          throw new Error(`can't rollback, '${name}' is not most recent snapshot`);
        }
        if (this.faults.rollbackFails > 0) {
          this.faults.rollbackFails--;
          throw new Error("rollback task failed (injected)");
        }
        this.killAll(guest);
        rmSync(this.root(guest), { recursive: true, force: true });
        cpSync(join(this.dir(guest), "snapshots", name), this.root(guest), { recursive: true });
        meta.current = name;
        meta.running = !this.stopOnRollback;
        this.writeMeta(guest, meta);
      },
      start: async (guest) => {
        this.record(guest.vmid, "start", "");
        const meta = this.meta(guest);
        meta.running = true;
        this.writeMeta(guest, meta);
      },
      remove: async (guest, name) => {
        this.record(guest.vmid, "remove", name);
        const meta = this.meta(guest);
        const snap = meta.snapshots.find((s) => s.name === name);
        if (!snap) return;
        this.assertUnlocked(meta, guest);
        if (this.faults.removeLeavesLock > 0) {
          this.faults.removeLeavesLock--;
          meta.lock = "snapshot-delete";
          this.writeMeta(guest, meta);
          throw new Error("snapshot delete failed, VM left locked (injected)");
        }
        rmSync(join(this.dir(guest), "snapshots", name), { recursive: true, force: true });
        meta.snapshots = meta.snapshots
          .filter((s) => s.name !== name)
          .map((s) => (s.parent === name ? { ...s, parent: snap.parent } : s));
        if (meta.current === name) meta.current = snap.parent ?? null;
        this.writeMeta(guest, meta);
      },
      list: async (guest) => this.meta(guest).snapshots.map((s) => ({ ...s })),
      state: async (guest) => {
        const meta = this.meta(guest);
        return meta.lock ? { running: meta.running, lock: meta.lock } : { running: meta.running };
      },
      unlock: async (guest) => {
        this.record(guest.vmid, "unlock", "");
        const meta = this.meta(guest);
        delete meta.lock;
        this.writeMeta(guest, meta);
      },
      rollbackOnlyNewest: async () => this.zfs,
    };
  }

  killAll(guest) {
    const pids = join(this.dir(guest), "pids");
    for (const file of readdirSync(pids)) {
      try {
        process.kill(-Number(file), "SIGKILL");
      } catch {
        // already gone
      }
      rmSync(join(pids, file), { force: true });
    }
  }

  /** The ExecPort of these guests: real bash processes with cwd = the guest's root. */
  execPort() {
    return {
      run: (guest, command, options) => {
        const root = this.root(guest);
        if (existsSync(join(root, SSHD_DOWN)) || !this.meta(guest).running) {
          return Promise.reject(new Error(`connect ECONNREFUSED (guest ${guest.vmid})`));
        }
        if (this.faults.execTransportFails > 0) {
          this.faults.execTransportFails--;
          return Promise.reject(new Error("SSH connection reset (injected)"));
        }
        const started = Date.now();
        this.record(guest.vmid, "exec-start", command);
        return new Promise((resolve, reject) => {
          const child = spawn("bash", ["-c", command], {
            cwd: options.cwd ? join(root, options.cwd) : root,
            env: { ...process.env, ...(options.env ?? {}), GUEST_ROOT: root },
            detached: true,
            stdio: ["ignore", "pipe", "pipe"],
          });
          const pidFile = join(this.dir(guest), "pids", String(child.pid));
          // The command, so that a test can tell what a process left running is.
          writeFileSync(pidFile, command);
          let stdout = "";
          let stderr = "";
          let timedOut = false;
          child.stdout.on("data", (d) => (stdout += d));
          child.stderr.on("data", (d) => (stderr += d));
          const timer = setTimeout(() => {
            timedOut = true;
            try {
              process.kill(-child.pid, "SIGKILL");
            } catch {
              // exited meanwhile
            }
          }, options.timeoutMs);
          child.on("error", (error) => {
            clearTimeout(timer);
            reject(error);
          });
          child.on("close", (code, signal) => {
            clearTimeout(timer);
            try {
              unlinkSync(pidFile);
            } catch {
              // removed by a rollback
            }
            this.record(guest.vmid, "exec-end", command);
            resolve({
              exitCode: code,
              signal,
              stdout,
              stderr,
              timedOut,
              durationMs: Date.now() - started,
            });
          });
        });
      },
      ping: async (guest) =>
        existsSync(this.root(guest)) &&
        !existsSync(join(this.root(guest), SSHD_DOWN)) &&
        this.meta(guest).running,
    };
  }
}
