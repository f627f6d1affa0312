import { spawn } from "node:child_process";

import { RealiseError } from "../types.js";

export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * Run one command (no shell) with a timeout; the only place the SDN realiser spawns short-lived
 * commands. Throws RealiseError naming the command unless `allowFailure`.
 */
export function command(
  argv: readonly string[],
  options: { input?: string; timeoutMs?: number; allowFailure?: boolean } = {},
): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new RealiseError("empty command");
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.on("error", () => undefined);
    child.on("error", (cause) => {
      clearTimeout(timer);
      reject(new RealiseError(`${argv.join(" ")}: ${cause.message}`, { cause }));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const result = {
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        code: code ?? -1,
      };
      if (timedOut) reject(new RealiseError(`${argv.join(" ")}: timed out after ${timeoutMs} ms`));
      else if (result.code !== 0 && !options.allowFailure)
        reject(
          new RealiseError(
            `${argv.join(" ")}: exit ${result.code}: ${result.stderr.trim().split("\n")[0] ?? ""}`,
          ),
        );
      else resolve(result);
    });
    child.stdin.end(options.input ?? "");
  });
}

/** `ip -n <netns> …`. */
export function ipIn(netns: string, args: string[], allowFailure = false): Promise<CommandResult> {
  return command(["ip", "-n", netns, ...args], { allowFailure });
}

/** `ip -n <netns> -j …` parsed. */
export async function ipJson<T>(netns: string, args: string[]): Promise<T[]> {
  const r = await command(["ip", "-n", netns, "-j", ...args]);
  const text = r.stdout.trim();
  return text === "" ? [] : (JSON.parse(text) as T[]);
}

/** Run a program inside a network namespace. */
export function inNetns(
  netns: string,
  argv: string[],
  options: { input?: string; timeoutMs?: number; allowFailure?: boolean } = {},
): Promise<CommandResult> {
  return command(["ip", "netns", "exec", netns, ...argv], options);
}
