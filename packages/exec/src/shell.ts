/** POSIX single-quote quoting: safe for any byte string except NUL. */
export function shellQuote(value: string): string {
  if (value.includes("\0")) throw new RangeError("a shell word cannot contain NUL");
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Shell text that changes directory and exports variables, ending in `&& ` (or empty). */
export function preamble(options: { cwd?: string; env?: Record<string, string> }): string {
  const parts: string[] = [];
  if (options.cwd !== undefined) parts.push(`cd -- ${shellQuote(options.cwd)}`);
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (!ENV_NAME.test(name)) {
      throw new RangeError(`env: invalid variable name ${JSON.stringify(name)}`);
    }
    parts.push(`export ${name}=${shellQuote(value)}`);
  }
  return parts.length === 0 ? "" : `${parts.join(" && ")} && `;
}

/** First stdout line of every remote command: `<marker><pgid>\n`, stripped before output is kept. */
export const PGID_MARKER = "__txbox_pgid=";

/**
 * The text sent to sshd. OpenSSH makes the session's shell a session and process-group leader
 * (setsid in do_exec_no_pty), so its pid is the pgid of everything the command starts; we print
 * it first so a timeout can `kill -KILL -<pgid>` from a second channel. The command itself runs
 * verbatim under `bash --norc -c` (`sh -c` when the guest has no bash), which replaces the wrapper
 * shell (`exec`) so that exit statuses and signals reach sshd unchanged. `--norc`: the login shell
 * already read its startup files, and Debian's bash would source ~/.bashrc again under sshd.
 */
export function remoteScript(
  command: string,
  options: { cwd?: string; env?: Record<string, string>; inline?: boolean },
  gated = false,
): string {
  const q = shellQuote(command);
  // txbox's own POSIX scripts (the verify probes) run in this shell itself: no second shell's
  // exec (~5 ms in a testbed guest) on a transaction's path.
  const run =
    options.inline === true
      ? `${preamble(options)}true || exit 126\n${command}`
      : `${preamble(options)}if command -v bash >/dev/null 2>&1; then exec bash --norc -c ${q}; else exec sh -c ${q}; fi`;
  return [
    // /proc gives the real pgid; $$ is the fallback (equal under OpenSSH).
    `p=$$; if [ -r /proc/$$/stat ]; then read -r _ _ _ _ p _ < /proc/$$/stat; fi`,
    `printf '${PGID_MARKER}%s\\n' "$p"`,
    ...(gated ? [GATE] : []),
    run,
  ].join("; ");
}

/** The line a gated script waits for on its standard input before it runs its command. */
export const GATE_LINE = "__txbox_go\n";

/**
 * A gated script (see `SshExecutor.prepare`) stops here until its first stdin line is
 * {@link GATE_LINE}; end of input or any other line exits 125 before anything of the command
 * ran. `read` takes stdin (a pipe or socket under sshd) one byte at a time, so what follows the
 * line is left whole for the command.
 */
const GATE = `IFS= read -r __txbox_go && [ "$__txbox_go" = ${GATE_LINE.trim()} ] || exit 125; unset __txbox_go`;

/** Shell text that kills process group `pgid` on the remote side. */
export function killGroupScript(pgid: number): string {
  return `kill -s KILL -- -${pgid} 2>/dev/null; true`;
}
