import { statSync } from "node:fs";
import type { LoadedConfig } from "@txbox/core";
import type { Policy } from "@txbox/policy";
import type { RuntimeEnv } from "./environment.js";
import { configFor, findConfigFile, guestPolicies } from "./policy.js";
import { openSession, type Session, type SessionOptions } from "./session.js";
import { findTestbedState } from "./testbed-state.js";

/**
 * Where a command gets its config, compiled policy and session. A CLI process uses
 * {@link coldHost} (open, use, close); `txbox serve` uses a {@link WarmHost} that keeps them
 * across requests. Commands are written once against this interface, so `--no-daemon` and the
 * daemon run the same code.
 */
export interface Host {
  /** True when sessions outlive the command (the daemon). */
  readonly warm: boolean;
  config(io: Pick<RuntimeEnv, "cwd" | "env">, file?: string): LoadedConfig;
  policies(loaded: LoadedConfig, extraPacks?: string[]): (vmid: number | undefined) => Policy;
  withSession<T>(
    io: RuntimeEnv,
    options: SessionOptions,
    fn: (session: Session, opened: { sessionMs: number }) => Promise<T>,
  ): Promise<T>;
}

/** Open everything per command and close it after. */
export const coldHost: Host = {
  warm: false,
  config: (io, file) => configFor(io, file),
  policies: (loaded, extra) => guestPolicies(loaded, extra),
  async withSession(io, options, fn) {
    const t0 = performance.now();
    const session = await openSession(io, options);
    try {
      return await fn(session, { sessionMs: performance.now() - t0 });
    } finally {
      await session.close();
    }
  },
};

function mtime(file: string | undefined): number {
  if (file === undefined) return 0;
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/** Environment variables that change what a session connects to or how it behaves. */
function envKey(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k of Object.keys(env).sort()) {
    if (k === "TXBOX_ACTOR" || k === "TXBOX_DEBUG") continue; // per request, not per session
    if (/^(TXBOX_|PVE_|PROXMOX_)/.test(k)) out[k] = env[k];
  }
  return out;
}

interface Entry<T> {
  value: T;
  usedAt: number;
}

/**
 * Config, compiled policies and sessions kept warm, keyed by everything that determines them
 * (files and their modification times, flags, the TXBOX_ environment): a changed txbox.yaml or a
 * restarted testbed gives a new session; idle ones are closed by {@link WarmHost.sweep}.
 */
export class WarmHost implements Host {
  readonly warm = true;
  private readonly configs = new Map<string, Entry<LoadedConfig>>();
  private readonly compiled = new Map<string, Entry<(vmid: number | undefined) => Policy>>();
  private readonly sessions = new Map<string, Entry<Promise<Session>> & { busy: number }>();

  constructor(private readonly log: NodeJS.WritableStream) {}

  config(io: Pick<RuntimeEnv, "cwd" | "env">, file?: string): LoadedConfig {
    // Which file is found depends on cwd and env; its content on the file's mtime.
    const found = findConfigFile(io, file);
    const key = JSON.stringify([found ?? io.cwd, mtime(found)]);
    const hit = this.configs.get(key);
    if (hit !== undefined) {
      hit.usedAt = Date.now();
      return hit.value;
    }
    const value = configFor(io, file);
    this.configs.set(key, { value, usedAt: Date.now() });
    return value;
  }

  policies(loaded: LoadedConfig, extraPacks: string[] = []): (vmid: number | undefined) => Policy {
    const packs = [...loaded.config.policy.packs, ...extraPacks];
    const key = JSON.stringify([
      loaded.file ?? loaded.baseDir,
      mtime(loaded.file),
      extraPacks,
      packs.map((p) => mtime(p)),
    ]);
    const hit = this.compiled.get(key);
    if (hit !== undefined) {
      hit.usedAt = Date.now();
      return hit.value;
    }
    const value = guestPolicies(loaded, extraPacks);
    this.compiled.set(key, { value, usedAt: Date.now() });
    return value;
  }

  async withSession<T>(
    io: RuntimeEnv,
    options: SessionOptions,
    fn: (session: Session, opened: { sessionMs: number }) => Promise<T>,
  ): Promise<T> {
    const t0 = performance.now();
    const loaded = this.config(io, options.config);
    const state = findTestbedState(io);
    const key = JSON.stringify([
      loaded.file ?? io.cwd,
      mtime(loaded.file),
      state ?? null,
      mtime(state),
      options,
      envKey(io.env),
    ]);
    let entry = this.sessions.get(key);
    if (entry === undefined) {
      const opening = openSession({ env: io.env, cwd: io.cwd, stderr: this.log }, options);
      entry = { value: opening, usedAt: Date.now(), busy: 0 };
      const mine = entry;
      opening.catch(() => {
        if (this.sessions.get(key) === mine) this.sessions.delete(key);
      });
      this.sessions.set(key, entry);
    }
    entry.busy++;
    try {
      const session = await entry.value;
      return await fn(session, { sessionMs: performance.now() - t0 });
    } finally {
      entry.busy--;
      entry.usedAt = Date.now();
    }
  }

  /** Sessions in use right now (the daemon does not stop while any is). */
  busy(): number {
    let n = 0;
    for (const e of this.sessions.values()) n += e.busy;
    return n;
  }

  /** Close sessions idle for longer than `idleMs`; drop stale caches. */
  async sweep(idleMs: number): Promise<void> {
    const cutoff = Date.now() - idleMs;
    for (const map of [this.configs, this.compiled]) {
      for (const [k, e] of map) if (e.usedAt < cutoff) map.delete(k);
    }
    for (const [k, e] of this.sessions) {
      if (e.busy === 0 && e.usedAt < cutoff) {
        this.sessions.delete(k);
        await e.value.then((s) => s.close()).catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    await this.sweep(-Infinity);
  }
}
