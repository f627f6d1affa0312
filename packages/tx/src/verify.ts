/**
 * Verification of a transaction's outcome, beyond the paper's exit code: the exit code policy,
 * the guest still reachable over SSH, protected paths unchanged (by digest), and user checks run
 * in the guest. The script builders and comparisons are pure; {@link verifyOutcome} runs them.
 */
import { createHash } from "node:crypto";
import { errorMessage } from "@txbox/core";
import type { ExecPort, ExecResult, GuestRef, PreparedExec } from "./ports.js";

/** How a transaction's outcome is judged. */
export interface VerifyPolicy {
  /** Exit codes that count as success (default `[0]`). */
  acceptExitCodes: number[];
  /** Judge by exit code at all (default true); false keeps any exit of a command that ran to its end. */
  checkExitCode: boolean;
  /** Require the guest to answer over SSH after the command (default true). */
  requireReachable: boolean;
  /** Paths whose digest must not change; a missing path has its own digest. */
  protectedPaths: string[];
  /** Commands run in the guest after the command (e.g. `npm test`); non-zero fails. */
  checks: string[];
  /** Budget of each verification command. */
  timeoutMs: number;
  /** Budget of the SSH reachability probe. */
  pingTimeoutMs: number;
  cwd?: string;
}

export const DEFAULT_VERIFY_POLICY: VerifyPolicy = {
  acceptExitCodes: [0],
  checkExitCode: true,
  requireReachable: true,
  protectedPaths: [],
  checks: [],
  timeoutMs: 120_000,
  pingTimeoutMs: 10_000,
};

export type CheckName = "exit-code" | "reachable" | "protected-paths" | "user-check";

export interface CheckResult {
  check: CheckName;
  ok: boolean;
  detail: string;
}

/** The outcome of verification; `reasons` explain each failed check. */
export interface VerifyReport {
  ok: boolean;
  checks: CheckResult[];
  reasons: string[];
}

/** Quote a string for a POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The per-path part of the digest scripts: a path that is not a readable regular file gets its line here. */
function perPathLoop(paths: readonly string[]): string[] {
  const list = paths.map(shellQuote).join(" ");
  return [
    `i=0; idx=`,
    `set --`,
    `for p in ${list}; do`,
    `  if [ -d "$p" ]; then`,
    `    if d=$(cd "$p" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum); then echo "$i dir:\${d%% *}"; else echo "$i unreadable"; fi`,
    `  elif [ -f "$p" ] && [ -r "$p" ]; then set -- "$@" "$p"; idx="$idx $i"`,
    `  elif [ -e "$p" ] || [ -L "$p" ]; then`,
    `    if d=$(sha256sum < "$p" 2>/dev/null); then echo "$i file:\${d%% *}"; else echo "$i unreadable"; fi`,
    `  else echo "$i missing"; fi`,
    `  i=$((i+1))`,
    `done`,
  ];
}

/**
 * A POSIX sh script printing one line `<index> <digest>` per path — `dir:<sha256 of the sorted
 * per-file digests>`, `file:<sha256>` (a special file), `missing` or `unreadable` — except for the
 * readable regular files (the usual protected paths): their indexes on a line `files <i> <j> …`,
 * then the shell is replaced by one `sha256sum` of all of them (its lines, in argument order, are
 * theirs). Each fork and exec costs ~5 ms in a testbed guest (10–20 loaded, measured): a process
 * per file cost 4 more than needed, and collecting the batch's output in a command substitution
 * (a fork of the shell) and re-printing it cost one more, on every transaction's path twice
 * (the baseline and the verify probe). When the batch fails (a file went away or turned unreadable
 * in between) the script exits non-zero; {@link captureDigests} and verify then run
 * {@link digestScriptEach}.
 */
export function digestScript(paths: readonly string[]): string {
  return [
    ...perPathLoop(paths),
    `[ $# -eq 0 ] || { echo "files$idx"; exec sha256sum -- "$@" 2>/dev/null; }`,
  ].join("\n");
}

/**
 * {@link digestScript} for when its batch failed: the batch's output is kept in the shell, and
 * should `sha256sum` fail again, each file is hashed on its own (one line `<index> <digest>` each).
 */
export function digestScriptEach(paths: readonly string[]): string {
  return [
    ...perPathLoop(paths),
    `if [ $# -gt 0 ]; then`,
    `  if out=$(sha256sum -- "$@" 2>/dev/null); then`,
    // one line per file, in argument order; a name with a backslash or newline starts it with `\`
    `    set -- $idx`,
    `    while IFS= read -r l; do l=\${l#\\\\}; echo "$1 file:\${l%% *}"; shift; done <<TXBOX_DIGESTS`,
    `$out`,
    `TXBOX_DIGESTS`,
    `  else`,
    `    for p do`,
    `      idx=\${idx# }; j=\${idx%% *}; idx=\${idx#"$j"}`,
    `      if d=$(sha256sum < "$p" 2>/dev/null); then echo "$j file:\${d%% *}"; else echo "$j unreadable"; fi`,
    `    done`,
    `  fi`,
    `fi`,
  ].join("\n");
}

/**
 * Parse the output of {@link digestScript} or {@link digestScriptEach}; throws if a path has no
 * line. After a `files …` line, each line is `sha256sum`'s (`[\\]<sha256>  <name>`) for the next
 * of those indexes.
 */
export function parseDigests(paths: readonly string[], stdout: string): Record<string, string> {
  const byIndex = new Map<number, string>();
  let batch: number[] = [];
  for (const line of stdout.split("\n")) {
    const hashed = batch.length > 0 ? /^\\?([0-9a-f]{64}) [ *]/.exec(line) : null;
    if (hashed) {
      byIndex.set(batch.shift() as number, `file:${hashed[1] as string}`);
      continue;
    }
    batch = [];
    const files = /^files((?: \d+)+)$/.exec(line.trim());
    if (files) {
      batch = (files[1] as string).trim().split(" ").map(Number);
      continue;
    }
    const m = /^(\d+) (\S+)$/.exec(line.trim());
    if (m) byIndex.set(Number(m[1]), m[2] as string);
  }
  const out: Record<string, string> = {};
  paths.forEach((p, i) => {
    const d = byIndex.get(i);
    if (d === undefined) throw new Error(`no digest for protected path ${p} in the probe output`);
    out[p] = d;
  });
  return out;
}

/** Paths whose digest differs between two captures (a path absent from `after` counts as changed). */
export function changedPaths(
  before: Record<string, string>,
  after: Record<string, string>,
): string[] {
  return Object.keys(before).filter((p) => after[p] !== before[p]);
}

/** One run of {@link digestScript} on a new channel: its raw result, for {@link digestsOf}. */
function runDigestProbe(
  exec: ExecPort,
  guest: GuestRef,
  paths: readonly string[],
  timeoutMs: number,
): Promise<ExecResult> {
  return exec.run(guest, digestScript(paths), { timeoutMs, inline: true });
}

/** Digests of `paths` in the guest; throws when the probe cannot run. */
export async function captureDigests(
  exec: ExecPort,
  guest: GuestRef,
  paths: readonly string[],
  timeoutMs: number,
): Promise<Record<string, string>> {
  if (paths.length === 0) return {};
  const r = await runDigestProbe(exec, guest, paths, timeoutMs);
  return digestsOf(exec, guest, paths, timeoutMs, r);
}

/**
 * The digests in `r`, the result of {@link digestScript}; when its batch failed, those of
 * {@link digestScriptEach} (one more round trip, only then). Throws when the probe failed.
 */
async function digestsOf(
  exec: ExecPort,
  guest: GuestRef,
  paths: readonly string[],
  timeoutMs: number,
  r: ExecResult,
): Promise<Record<string, string>> {
  if (r.timedOut || r.exitCode === 0) return parsedDigests(paths, r);
  const each = await exec.run(guest, digestScriptEach(paths), { timeoutMs, inline: true });
  return parsedDigests(paths, each);
}

/** The digests in a probe's result; throws when the probe failed. Pure. */
function parsedDigests(paths: readonly string[], r: ExecResult): Record<string, string> {
  if (r.timedOut || r.exitCode !== 0) {
    throw new Error(
      `digest probe failed (exit ${String(r.exitCode)}${r.timedOut ? ", timed out" : ""}): ${r.stderr.trim()}`,
    );
  }
  return parseDigests(paths, r.stdout);
}

/** The exit-code verdict of a command's result under `policy` (pure). */
export function judgeExit(result: ExecResult, policy: VerifyPolicy): CheckResult {
  if (result.timedOut) return { check: "exit-code", ok: false, detail: "the command timed out" };
  if (result.exitCode === null) {
    return {
      check: "exit-code",
      ok: false,
      detail: `the command was killed (${result.signal ?? "no exit code"})`,
    };
  }
  if (!policy.checkExitCode || policy.acceptExitCodes.includes(result.exitCode)) {
    return { check: "exit-code", ok: true, detail: `exit ${result.exitCode}` };
  }
  return {
    check: "exit-code",
    ok: false,
    detail: `exit ${result.exitCode} (accepted: ${policy.acceptExitCodes.join(", ")})`,
  };
}

/** sha256 hex of a string (output digests in the journal and audit). */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

type Probe = { r?: ExecResult; error?: unknown } | undefined;

/**
 * Whether the guest answers over SSH. The digest probe is an SSH command too: when it runs, the
 * guest answers. One round trip then proves both; a separate ping is sent only without protected
 * paths (`prepared` is then that ping, `true`, set up while the command ran: a new channel cost
 * 20–30 ms on the loaded testbed, a prepared one ~4), or to tell a transport failure of the probe
 * (unreachable) from one of the guest's answer.
 */
async function checkReachable(
  exec: ExecPort,
  guest: GuestRef,
  policy: VerifyPolicy,
  prepared: PreparedExec | undefined,
): Promise<{ check: CheckResult; probe: Probe }> {
  let probe: Probe;
  if (policy.protectedPaths.length > 0) {
    probe = await (
      prepared?.start() ?? runDigestProbe(exec, guest, policy.protectedPaths, policy.timeoutMs)
    ).then(
      (r) => ({ r }),
      (error: unknown) => ({ error }),
    );
  }
  const pinged =
    policy.protectedPaths.length === 0 &&
    (await prepared?.start().then(
      (r) => r.exitCode === 0 && !r.timedOut,
      () => false, // told apart below by a ping of its own
    )) === true;
  const up =
    pinged ||
    probe?.r !== undefined ||
    (await exec.ping(guest, { timeoutMs: policy.pingTimeoutMs }));
  return {
    check: {
      check: "reachable",
      ok: up,
      detail: up ? "SSH answers" : "the guest does not answer over SSH",
    },
    probe,
  };
}

/** The protected paths' digests against the baseline (from the probe when it already ran). */
async function checkProtected(
  exec: ExecPort,
  guest: GuestRef,
  baseline: Record<string, string>,
  policy: VerifyPolicy,
  probe: Probe,
): Promise<CheckResult> {
  if (probe?.error !== undefined) throw probe.error;
  const after =
    probe?.r !== undefined
      ? await digestsOf(exec, guest, policy.protectedPaths, policy.timeoutMs, probe.r)
      : await captureDigests(exec, guest, policy.protectedPaths, policy.timeoutMs);
  const changed = changedPaths(baseline, after);
  return {
    check: "protected-paths",
    ok: changed.length === 0,
    detail:
      changed.length === 0
        ? `${policy.protectedPaths.length} unchanged`
        : `changed: ${changed.join(", ")}`,
  };
}

/** One of the user's checks: it must exit 0 within the budget. */
async function userCheck(
  exec: ExecPort,
  guest: GuestRef,
  command: string,
  policy: VerifyPolicy,
): Promise<CheckResult> {
  let r: ExecResult;
  try {
    r = await exec.run(guest, command, {
      timeoutMs: policy.timeoutMs,
      ...(policy.cwd ? { cwd: policy.cwd } : {}),
    });
  } catch (error) {
    throw new Error(`user check \`${command}\` could not run: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const ok = !r.timedOut && r.exitCode === 0;
  return {
    check: "user-check",
    ok,
    detail: `\`${command}\` ${r.timedOut ? "timed out" : `exit ${String(r.exitCode)}`}`,
  };
}

/**
 * Run the checks in order, stopping at the first failure (the transaction rolls back anyway).
 * Throws only when a check cannot be evaluated (transport error); the engine rolls back then too.
 */
export async function verifyOutcome(
  exec: ExecPort,
  guest: GuestRef,
  result: ExecResult,
  baseline: Record<string, string>,
  policy: VerifyPolicy,
  onCheck: (check: CheckName) => Promise<void> = async () => {},
  /** The digest probe's session (without protected paths: the ping's), set up ahead (`ExecPort.prepare`). */
  prepared?: PreparedExec,
): Promise<VerifyReport> {
  const checks: CheckResult[] = [];
  const done = (): VerifyReport => {
    const failed = checks.filter((c) => !c.ok);
    return {
      ok: failed.length === 0,
      checks,
      reasons: failed.map((c) => `${c.check}: ${c.detail}`),
    };
  };
  /** Record a check; false when it failed (the remaining checks are not run). */
  const passed = (c: CheckResult): boolean => {
    checks.push(c);
    return c.ok;
  };

  await onCheck("exit-code");
  if (!passed(judgeExit(result, policy))) return done();
  let probe: Probe;
  if (policy.requireReachable) {
    await onCheck("reachable");
    const reach = await checkReachable(exec, guest, policy, prepared);
    probe = reach.probe;
    if (!passed(reach.check)) return done();
  }
  if (policy.protectedPaths.length > 0) {
    await onCheck("protected-paths");
    if (!passed(await checkProtected(exec, guest, baseline, policy, probe))) return done();
  }
  for (const command of policy.checks) {
    await onCheck("user-check");
    if (!passed(await userCheck(exec, guest, command, policy))) return done();
  }
  return done();
}
