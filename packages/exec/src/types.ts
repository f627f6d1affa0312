/** The outcome of one command; the same shape for every {@link Executor}. */
export interface ExecResult {
  /** Exit status, or null when the process was killed by a signal or its status is unknown. */
  exitCode: number | null;
  /** Name of the terminating signal (`SIGKILL`), or null. */
  signal: string | null;
  /** The kept bytes decoded as UTF-8 (lossy where they are not UTF-8: use `stdoutData`). */
  stdout: string;
  stderr: string;
  /** The kept bytes exactly as the command wrote them. */
  stdoutData: Buffer;
  stderrData: Buffer;
  /** The stream produced more than `maxOutputBytes`; only the first bytes are kept. */
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  /** Bytes each stream produced in all (more than kept when truncated). */
  stdoutBytes: number;
  stderrBytes: number;
  /** SHA-256 (hex) of every byte each stream produced: the exact output, not its decoded text. */
  stdoutSha256: string;
  stderrSha256: string;
  /** The file holding the whole stream, when it outgrew the cap and {@link RunOptions.spill} named one. */
  stdoutFile?: string;
  stderrFile?: string;
  /** Why a stream past the cap could not be kept whole in its spill file. */
  spillError?: string;
  durationMs: number;
  /** The command ran past `timeoutMs` (or was aborted) and its process group was killed. */
  timedOut: boolean;
}

/** Options of {@link Executor.run}. */
export interface RunOptions {
  /** Working directory; the command fails with the shell's `cd` error when it does not exist. */
  cwd?: string;
  /** Extra environment variables, exported before the command runs. */
  env?: Record<string, string>;
  /** Budget for the whole command; on expiry the process group is killed. Required: nothing waits forever. */
  timeoutMs: number;
  /** Bytes written to the command's standard input, which is then closed. */
  stdin?: string | Buffer;
  /**
   * The command is a POSIX sh script of txbox's own (a verify probe): the session's shell runs it
   * itself instead of exec'ing `bash --norc -c` on it. Never for a user's command.
   */
  inline?: boolean;
  /** Cap per stream on the kept output (default 8 MiB); streaming callbacks still see everything. */
  maxOutputBytes?: number;
  /**
   * Files to write a stream to, whole, once it outgrows `maxOutputBytes` (created 0600 only then):
   * the result names them, so output past the cap is never lost.
   */
  spill?: { stdout?: string; stderr?: string };
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Aborting kills the command like a timeout does. */
  signal?: AbortSignal;
}

/**
 * A command whose session is already set up and waiting to run it (`SshExecutor.prepare`): the
 * guest's session start (sshd's fork, the login shell) is paid ahead, off the caller's path.
 */
export interface PreparedRun {
  /**
   * Run the command now. Undefined when the waiting session is gone or never opened: the
   * command provably did not run, and the caller runs it the ordinary way.
   */
  start(): Promise<ExecResult | undefined>;
  /** Never run it: the waiting session ends without running anything. Idempotent. */
  cancel(): void;
}

/** One SSH hop: a jump host, or the guest itself. */
export interface SshHop {
  host: string;
  port?: number;
  user: string;
  /** Private key files tried after the agent's keys, in order (the guest's keyFile, IdentityFile). */
  identityFiles?: string[];
  /** Pinned host key fingerprint, `SHA256:<base64 without padding>` as `ssh-keygen -lf` prints it. */
  hostKey?: string;
  /** known_hosts files consulted when no `hostKey` is pinned (and for @revoked keys always). */
  knownHostsFiles?: string[];
}

/** Where to run over SSH. */
export interface SshTarget extends SshHop {
  /** PEM/OpenSSH private key text, tried first among keys; or give `keyFile`. */
  privateKey?: string | Buffer;
  /** A private key file, tried before `identityFiles`. */
  keyFile?: string;
  /** ssh-agent socket (`SSH_AUTH_SOCK`): its keys are tried before any key file, on every hop. */
  agent?: string;
  /** ProxyJump hops, the first one connected to directly. */
  jump?: SshHop[];
  /** Handshake budget per hop (default 10 s). */
  connectTimeoutMs?: number;
}

/** Runs shell command text somewhere: a guest over SSH, or the local machine. */
export interface Executor<Target> {
  /** Run `command` (shell text, sent verbatim) and collect its result; a non-zero exit is not an error. */
  run(target: Target, command: string, options: RunOptions): Promise<ExecResult>;
  /** True when the target answers (for SSH: handshake plus `true`) within `timeoutMs`. Never throws. */
  ping(target: Target, options: { timeoutMs: number }): Promise<boolean>;
  /** Release connections and anything else held. */
  close(): Promise<void>;
}

/** Default per-stream cap on kept output. */
export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/** Validate run options up front; messages name the option and the value received. */
export function validateRunOptions(options: RunOptions): void {
  const t = options?.timeoutMs;
  if (typeof t !== "number" || !Number.isFinite(t) || t <= 0) {
    throw new RangeError(`timeoutMs: expected a positive number of milliseconds, got ${String(t)}`);
  }
  const m = options.maxOutputBytes;
  if (m !== undefined && (!Number.isInteger(m) || m < 0)) {
    throw new RangeError(`maxOutputBytes: expected a non-negative integer, got ${String(m)}`);
  }
  if (options.cwd !== undefined && (typeof options.cwd !== "string" || options.cwd === "")) {
    throw new RangeError(`cwd: expected a non-empty path, got ${JSON.stringify(options.cwd)}`);
  }
}
