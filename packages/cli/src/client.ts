/**
 * The thin client: `txbox run`, `txbox policy check` and `txbox mcp` are sent to the user's
 * daemon (`txbox serve`, started here on first use) and its output is copied back byte for byte.
 * Node built-ins and the daemon protocol only — nothing else of txbox is loaded on this path.
 * Everything else, `--no-daemon`, `TXBOX_NO_DAEMON=1` and crash simulation run in this process.
 */
import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  configArg,
  encodeFrame,
  frameReader,
  PROTOCOL_VERSION,
  socketPath,
  type ClientFrame,
  type DaemonFrame,
} from "@txbox/runtime/daemon";

const epochNow = (): number => performance.timeOrigin + performance.now();

/** How long a client waits for a daemon it started to listen. */
const START_TIMEOUT_MS = 20_000;

/** The words before `--`. Pure. */
function optionWords(args: string[]): string[] {
  const dd = args.indexOf("--");
  return dd < 0 ? args : args.slice(0, dd);
}

/** Whether `argv` (node, script, args…) goes to the daemon. Pure. */
export function forDaemon(argv: string[], env: NodeJS.ProcessEnv): boolean {
  const args = argv.slice(2);
  const words = optionWords(args);
  if (words.includes("--no-daemon")) return false;
  if (
    env.TXBOX_NO_DAEMON !== undefined &&
    env.TXBOX_NO_DAEMON !== "" &&
    env.TXBOX_NO_DAEMON !== "0"
  )
    return false;
  // A simulated crash must kill the process that runs the transaction: this one.
  if (env.TXBOX_CRASH_AT !== undefined && env.TXBOX_CRASH_AT !== "") return false;
  const [command, sub] = words;
  if (command === "run" || command === "mcp") return true;
  return command === "policy" && sub === "check" && !words.includes("--batch");
}

function tryConnect(path: string): Promise<Socket> {
  return new Promise((resolveSocket, reject) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolveSocket(socket);
    });
    socket.once("error", reject);
  });
}

/** Start `txbox serve` for this socket, detached, its log beside the socket. */
function startDaemon(path: string, cwd: string, env: NodeJS.ProcessEnv, config?: string): void {
  const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "txbox.js");
  const log = openSync(path.replace(/\.sock$/, ".log"), "a", 0o600);
  const child = spawn(
    process.execPath,
    [bin, "serve", "--socket", path, ...(config === undefined ? [] : ["--config", config])],
    { cwd, env, detached: true, stdio: ["ignore", log, log] },
  );
  child.unref();
}

/** Connect to the daemon, starting it when nobody listens. */
async function reach(
  path: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  config?: string,
): Promise<Socket> {
  try {
    return await tryConnect(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ECONNREFUSED") throw error;
  }
  startDaemon(path, cwd, env, config);
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    await new Promise((r) => setTimeout(r, wait));
    try {
      return await tryConnect(path);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

/**
 * Run the command through the daemon; its exit status, or `undefined` when it must run in this
 * process instead (not a daemon command, or the daemon cannot be reached: then a note on stderr).
 */
export async function viaDaemon(
  argv: string[],
  mainStart: number,
  proc: NodeJS.Process = process,
): Promise<number | undefined> {
  if (!forDaemon(argv, proc.env)) return undefined;
  const cwd = proc.cwd();
  const config = configArg(optionWords(argv.slice(2)));
  let socket: Socket;
  try {
    const path = socketPath(cwd, proc.env, config);
    socket = await reach(path, cwd, proc.env, config);
  } catch (error) {
    proc.stderr.write(
      `txbox: the daemon is not reachable (${error instanceof Error ? error.message : String(error)}); running in this process\n`,
    );
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(proc.env)) if (v !== undefined) env[k] = v;
  const send = (frame: ClientFrame): boolean => socket.write(encodeFrame(frame));
  return await new Promise<number>((resolveCode) => {
    let code: number | undefined;
    socket.on(
      "data",
      frameReader<DaemonFrame>((frame) => {
        if (frame.t === "out") proc.stdout.write(Buffer.from(frame.d, "base64"));
        else if (frame.t === "err") proc.stderr.write(Buffer.from(frame.d, "base64"));
        else if (frame.t === "exit") {
          code = frame.code;
          socket.end();
        }
      }),
    );
    socket.on("error", () => undefined);
    socket.on("close", () => {
      if (proc.stdin.listenerCount("data") > 0) proc.stdin.destroy();
      if (code === undefined) {
        proc.stderr.write(
          "txbox: error [E_DAEMON]: the daemon closed the connection mid-command\n",
        );
        proc.stderr.write("hint: see `txbox serve --status`; rerun with --no-daemon\n");
      }
      resolveCode(code ?? 1);
    });
    send({
      t: "req",
      v: PROTOCOL_VERSION,
      argv,
      cwd,
      env,
      clock: { processStart: performance.timeOrigin, mainStart, sentAt: epochNow() },
    });
    // MCP speaks over stdin; other commands read none.
    if (optionWords(argv.slice(2))[0] === "mcp") {
      proc.stdin.on("data", (d: Buffer) => send({ t: "in", d: d.toString("base64") }));
      proc.stdin.on("end", () => send({ t: "eof" }));
    } else send({ t: "eof" });
  });
}
