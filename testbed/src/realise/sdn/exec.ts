import { run, type RunResult } from "../host/exec.js";

export type CommandResult = RunResult;

/**
 * Run one command (no shell) with a timeout (default 30 s): the host realiser's runner, so both
 * realisers time out, collect output and word failures the same way.
 */
export function command(
  argv: readonly string[],
  options: { input?: string; timeoutMs?: number; allowFailure?: boolean } = {},
): Promise<CommandResult> {
  return run(argv, { ...options, timeoutMs: options.timeoutMs ?? 30_000 });
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
