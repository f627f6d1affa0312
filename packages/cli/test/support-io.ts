import { PassThrough, Readable } from "node:stream";
import { main } from "../src/main.js";
import type { Io } from "../src/output.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the txbox CLI in-process with captured streams (the same `main` as bin/txbox.js). */
export async function runCli(
  args: string[],
  options: { stdin?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += String(c)));
  stderr.on("data", (c: Buffer) => (err += String(c)));
  const io: Io = {
    stdout,
    stderr,
    stdin: Readable.from([options.stdin ?? ""]),
    env: { ...process.env, TXBOX_CONFIG: undefined, ...options.env },
    cwd: options.cwd ?? process.cwd(),
  };
  const code = await main(["node", "txbox", ...args], io);
  return { code, stdout: out, stderr: err };
}
