import { spawn, type ChildProcess } from "node:child_process";
import { open, readFile } from "node:fs/promises";
import { connect } from "node:net";

import { waitFor } from "./exec.js";

/** Resolves true when a TCP connection to host:port succeeds within timeoutMs. */
export function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Start a guest's launcher detached, its output appended to `logFile` and the compiled seccomp
 * filter on descriptor 3 (bwrap's `--seccomp 3`; a fresh open starts at offset 0). Undefined pid:
 * the launcher did not start.
 */
export async function spawnLauncher(
  argv: string[],
  logFile: string,
  seccompFile: string,
): Promise<ChildProcess> {
  const log = await open(logFile, "a");
  const filter = await open(seccompFile, "r");
  try {
    const child = spawn(argv[0] ?? "env", argv.slice(1), {
      detached: true,
      stdio: ["ignore", log.fd, log.fd, filter.fd],
    });
    child.unref();
    return child;
  } finally {
    await log.close();
    await filter.close();
  }
}

/**
 * Wait until the guest's sshd accepts connections on `address:22` or the guest exits; false when
 * neither happened within `timeoutMs`. A refused connect costs microseconds; at 25 ms apart the
 * start ended ≈ 12 ms after sshd listened, on the path of every rollback: hence 5 ms.
 */
export function sshdListening(
  address: string,
  exited: () => boolean,
  timeoutMs: number,
): Promise<boolean> {
  return waitFor(async () => exited() || (await tcpOpen(address, 22, 500)), timeoutMs, 5);
}

/** The last lines of a guest's launcher log, for the error of a guest that died starting. */
export async function logTail(logFile: string, lines = 8): Promise<string> {
  return (await readFile(logFile, "utf8").catch(() => "")).split("\n").slice(-lines).join("\n");
}
