import { existsSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { ConfigError, sleep, TimeoutError } from "@txbox/core";
import { shellQuote, SshExecutor, type ExecResult } from "@txbox/exec";
import type { CallOptions, GuestRef } from "@txbox/net";
import type { ProxmoxClient } from "@txbox/proxmox";
import { guestOf, pendingKeysFile } from "./guests.js";
import { tcpProbe } from "./util.js";

/** How to reach a guest's sshd from here: an address, and (optionally) operator credentials. */
export interface NetSshEndpoint {
  host: string;
  port: number;
  /** Operator login used to install the spec's keys into LXC guests (see `authorizeSshKeys`). */
  user?: string;
  keyFile?: string;
  hostKeys?: string[];
}

export interface GuestShellOptions {
  stateDir: string;
  sshEndpoint?: (guest: GuestRef) => Promise<NetSshEndpoint | undefined>;
  useSpecAddress: boolean;
  log: (message: string) => void;
  pollMs: number;
}

/** The `ip=` address of a config value such as `name=eth1,bridge=vmbr9,ip=10.250.9.11/24`. */
export function addressOf(value: unknown): string | undefined {
  const m = /(?:^|,)ip=([0-9.]+)(?:\/\d+)?(?:,|$)/.exec(String(value ?? ""));
  return m?.[1];
}

/** The management address a spec gave a guest: `net1`'s `ip=` (LXC) or `ipconfig1` (qemu). */
export function managementAddress(config: Record<string, unknown>): string | undefined {
  return addressOf(config.ipconfig1) ?? addressOf(config.net1);
}

/** Run `script` with the first of `hostKeys` that the guest's sshd proves; the last error else. */
async function runPinned(
  executor: SshExecutor,
  target: { host: string; port: number; user: string; keyFile: string },
  hostKeys: string[],
  script: string,
  timeoutMs: number,
): Promise<ExecResult> {
  let lastError: unknown;
  for (const hostKey of hostKeys) {
    try {
      return await executor.run({ ...target, hostKey }, script, { timeoutMs });
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}

/** The shell script that appends `keys` once to `user`'s authorized_keys (re-runs add nothing). */
function installKeysScript(pending: { user: string; keys: string[] }): string {
  const user = shellQuote(pending.user);
  // The user's home from the guest's own passwd.
  return [
    `home=$(getent passwd ${user} | cut -d: -f6)`,
    `[ -n "$home" ] || { echo "no user ${pending.user.replace(/[^\w.-]/g, "")} in the guest" >&2; exit 3; }`,
    `mkdir -p "$home/.ssh"`,
    `chmod 700 "$home/.ssh"`,
    `touch "$home/.ssh/authorized_keys"`,
    ...pending.keys.map(
      (k) =>
        `{ grep -qxF ${shellQuote(k)} "$home/.ssh/authorized_keys" || printf '%s\\n' ${shellQuote(k)} >> "$home/.ssh/authorized_keys"; }`,
    ),
    `chmod 600 "$home/.ssh/authorized_keys"`,
    `chown -R ${user} "$home/.ssh"`,
  ].join(" && ");
}

/** SSH to the guests a spec manages: readiness, pending LXC keys, and `net verify`'s scripts. */
export class GuestShell {
  private executor: SshExecutor | undefined;

  constructor(
    private readonly client: ProxmoxClient,
    private readonly options: GuestShellOptions,
  ) {}

  /** Close pooled SSH connections. */
  async close(): Promise<void> {
    await this.executor?.close();
  }

  /**
   * Wait until the guest runs and its sshd accepts TCP connections on its management address
   * (from the target, else the spec's `net1`/`ipconfig1`). Without any known address only the
   * running state can be checked, which is said on the log.
   */
  async waitForSsh(g: GuestRef, timeoutMs: number, opts: CallOptions = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const guest = guestOf(this.client, g);
    const late = (what: string) =>
      new TimeoutError(`guest ${g.vmid}: ${what} within ${Math.round(timeoutMs / 1000)} s`, {
        details: { vmid: g.vmid, node: g.node },
        hint: "raise --timeout, or check the guest's console",
      });
    while ((await guest.status()).status !== "running") {
      if (Date.now() > deadline) throw late("not running");
      await sleep(this.options.pollMs, opts.signal);
    }
    const endpoint = await this.endpoint(g);
    if (endpoint === undefined) {
      this.options.log(
        `guest ${g.vmid}: no management address known; checked that it runs, not its sshd`,
      );
      await this.installPendingKeys(g, undefined);
      return;
    }
    let lastError = "";
    for (;;) {
      try {
        const ms = Math.max(100, Math.min(5000, deadline - Date.now()));
        await tcpProbe(endpoint.host, endpoint.port, ms);
        break;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      if (Date.now() > deadline)
        throw late(`sshd on ${endpoint.host}:${endpoint.port} did not answer (${lastError})`);
      await sleep(this.options.pollMs, opts.signal);
    }
    await this.installPendingKeys(g, endpoint, Math.max(10_000, deadline - Date.now()));
  }

  /**
   * Run shell text in a guest over SSH, as `net verify` does: with the target's operator access
   * when it has one (the testbed, txbox.yaml `guests[]`), else as the spec's user with the
   * private key beside its `publicKeyFile`. The host key must be pinned: nothing is trusted
   * on first use.
   */
  async runInGuest(
    g: GuestRef,
    ssh: { user: string; publicKeyFile?: string },
    script: string,
    timeoutMs: number,
  ): Promise<ExecResult> {
    const endpoint = await this.endpoint(g);
    if (endpoint === undefined)
      throw new ConfigError(
        `no management address known for guest ${g.vmid} (add it to txbox.yaml guests[] or give the spec a management network)`,
      );
    const ownKey = ssh.publicKeyFile?.replace(/\.pub$/, "");
    const login =
      endpoint.keyFile !== undefined
        ? { user: endpoint.user ?? "root", keyFile: endpoint.keyFile }
        : ownKey !== undefined && ownKey !== ssh.publicKeyFile && existsSync(ownKey)
          ? { user: ssh.user, keyFile: ownKey }
          : undefined;
    if (login === undefined)
      throw new ConfigError(
        `no SSH key to log in to guest ${g.vmid}: give txbox.yaml guests[] a keyFile, or keep the private key beside the spec's publicKeyFile`,
      );
    const hostKeys = endpoint.hostKeys ?? [];
    if (hostKeys.length === 0)
      throw new ConfigError(
        `no pinned host key for guest ${g.vmid} (${endpoint.host}): add hostKey to its txbox.yaml guests[] entry`,
      );
    this.executor ??= new SshExecutor();
    const target = { host: endpoint.host, port: endpoint.port, ...login };
    return runPinned(this.executor, target, hostKeys, script, timeoutMs);
  }

  private async endpoint(g: GuestRef): Promise<NetSshEndpoint | undefined> {
    try {
      const e = await this.options.sshEndpoint?.(g);
      if (e !== undefined) return e;
    } catch {
      // The target does not know this guest (yet): fall back to the spec's address.
    }
    if (!this.options.useSpecAddress) return undefined;
    const host = managementAddress(await guestOf(this.client, g).config());
    return host === undefined ? undefined : { host, port: 22 };
  }

  private async installPendingKeys(
    g: GuestRef,
    endpoint: NetSshEndpoint | undefined,
    timeoutMs = 30_000,
  ): Promise<void> {
    const file = pendingKeysFile(this.options.stateDir, g.vmid);
    let pending: { user: string; keys: string[] };
    try {
      pending = JSON.parse(await readFile(file, "utf8")) as { user: string; keys: string[] };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    if (endpoint?.keyFile === undefined || (endpoint.hostKeys ?? []).length === 0) {
      this.options.log(
        `guest ${g.vmid}: SSH keys for ${pending.user} not installed: no operator SSH access to this LXC guest is configured (they stay in ${file})`,
      );
      return;
    }
    this.executor ??= new SshExecutor();
    const target = {
      host: endpoint.host,
      port: endpoint.port,
      user: endpoint.user ?? "root",
      keyFile: endpoint.keyFile,
    };
    const script = installKeysScript(pending);
    const r = await runPinned(this.executor, target, endpoint.hostKeys!, script, timeoutMs);
    if (r.exitCode !== 0)
      throw new Error(`installing SSH keys exited ${r.exitCode}: ${r.stderr.trim()}`);
    await rm(file, { force: true });
  }
}
