import {
  ExecError,
  type ExecResult as SshResult,
  type RunOptions,
  type SshExecutor,
  type SshTarget,
} from "@txbox/exec";
import type { ExecOptions, ExecPort, ExecResult, GuestRef, PreparedExec } from "@txbox/tx";
import type { OutputStore } from "./output-store.js";
import type { GuestSsh } from "./target.js";

/**
 * {@link ExecPort} over `@txbox/exec`'s pooled SSH executor. A guest lists one host key per key
 * type; the one the server presents is pinned once a handshake has shown which it is.
 */
export class SshExecPort implements ExecPort {
  private readonly chosen = new Map<number, string>();
  private readonly endpoints = new Map<number, Promise<GuestSsh>>();

  constructor(
    private readonly executor: SshExecutor,
    private readonly resolveSsh: (vmid: number) => Promise<GuestSsh>,
    private readonly log: (message: string) => void = () => undefined,
    /** Where streams past the kept cap are written whole; without it they are only cut. */
    private readonly output?: OutputStore,
  ) {}

  private endpoint(vmid: number): Promise<GuestSsh> {
    let e = this.endpoints.get(vmid);
    if (e === undefined) {
      e = this.resolveSsh(vmid);
      e.catch(() => this.endpoints.delete(vmid));
      this.endpoints.set(vmid, e);
    }
    return e;
  }

  /** The SSH target of a guest, with the host key that matched last time (else the first). */
  async target(guest: GuestRef): Promise<SshTarget> {
    const e = await this.endpoint(guest.vmid);
    const hostKey = this.chosen.get(guest.vmid) ?? e.hostKeys[0];
    return {
      host: e.host,
      port: e.port,
      user: e.user,
      ...(e.keyFile === undefined ? {} : { keyFile: e.keyFile }),
      identityFiles: e.identityFiles,
      knownHostsFiles: e.knownHostsFiles,
      jump: e.jump,
      ...(e.agent === undefined ? {} : { agent: e.agent }),
      ...(hostKey === undefined ? {} : { hostKey }),
    };
  }

  /** Runs `fn`; a host-key mismatch naming another of the guest's own keys switches to that key. */
  private async withHostKey<T>(guest: GuestRef, fn: (t: SshTarget) => Promise<T>): Promise<T> {
    const e = await this.endpoint(guest.vmid);
    try {
      return await fn(await this.target(guest));
    } catch (error) {
      const presented =
        error instanceof ExecError && error.code === "E_SSH_HOSTKEY"
          ? (error.details as { presented?: unknown } | undefined)?.presented
          : undefined;
      if (typeof presented !== "string" || !e.hostKeys.includes(presented)) throw error;
      this.chosen.set(guest.vmid, presented);
      return await fn(await this.target(guest));
    }
  }

  /**
   * Open (or reuse) the guest's pooled SSH connection without running anything, so that the
   * handshake can overlap other work; the right host key is pinned by the same call.
   */
  async warm(guest: GuestRef, timeoutMs = 10_000): Promise<void> {
    await this.withHostKey(guest, (t) => this.executor.open({ ...t, connectTimeoutMs: timeoutMs }));
  }

  private runOptions(options: ExecOptions): RunOptions {
    return {
      timeoutMs: options.timeoutMs,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.inline === true ? { inline: true } : {}),
      ...(this.output === undefined ? {} : { spill: this.output.paths(options.label) }),
    };
  }

  async run(guest: GuestRef, command: string, options: ExecOptions): Promise<ExecResult> {
    const r = await this.withHostKey(guest, (t) =>
      this.executor.run(t, command, this.runOptions(options)),
    );
    return this.result(r);
  }

  /**
   * The command's session opened now on the pooled connection, waiting; `start()` runs it there,
   * or the ordinary way when that session is gone (it never ran: see `SshExecutor.prepare`).
   */
  prepare(guest: GuestRef, command: string, options: ExecOptions): PreparedExec {
    const prepared = this.target(guest).then((t) =>
      this.executor.prepare(t, command, this.runOptions(options)),
    );
    prepared.catch(() => undefined);
    return {
      start: async () => {
        const r = await prepared.then(
          (p) => p.start(),
          () => undefined,
        );
        return r === undefined ? this.run(guest, command, options) : this.result(r);
      },
      cancel: () =>
        void prepared.then(
          (p) => p.cancel(),
          () => undefined,
        ),
    };
  }

  private result(r: SshResult): ExecResult {
    if (r.stdoutFile !== undefined || r.stderrFile !== undefined) this.output?.prune();
    return {
      exitCode: r.exitCode,
      signal: r.signal,
      stdout: r.stdout,
      stderr: r.stderr,
      stdoutData: r.stdoutData,
      stderrData: r.stderrData,
      timedOut: r.timedOut,
      durationMs: r.durationMs,
      stdoutSha256: r.stdoutSha256,
      stderrSha256: r.stderrSha256,
      stdoutBytes: r.stdoutBytes,
      stderrBytes: r.stderrBytes,
      stdoutTruncated: r.stdoutTruncated,
      stderrTruncated: r.stderrTruncated,
      stdoutFile: r.stdoutFile,
      stderrFile: r.stderrFile,
      spillError: r.spillError,
    };
  }

  /**
   * Whether the guest answers: `true` runs within the budget. A wrong host key is found out (and
   * the right one pinned) by this same call. `true` is idempotent, so a channel that closed without
   * an exit status on a live connection is asked once more instead of reported as unreachable.
   */
  async ping(guest: GuestRef, options: { timeoutMs: number }): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.withHostKey(guest, (t) =>
          this.executor.run({ ...t, connectTimeoutMs: options.timeoutMs }, "true", {
            timeoutMs: options.timeoutMs,
          }),
        );
        return r.exitCode === 0;
      } catch (error) {
        const unknown =
          error instanceof ExecError &&
          (error.details as { outcomeUnknown?: unknown }).outcomeUnknown === true;
        if (unknown && attempt === 0) continue;
        this.log(
          `ping of guest ${guest.vmid} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        return false;
      }
    }
  }
}
