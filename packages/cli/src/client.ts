/**
 * The thin client: `txbox run`, `txbox policy check` and `txbox mcp` are sent to the user's
 * daemon (`txbox serve`, started here on first use) and its output is copied back byte for byte.
 * Node built-ins and the daemon protocol only — nothing else of txbox is loaded on this path.
 * Everything else, `--no-daemon`, `TXBOX_NO_DAEMON=1` and crash simulation run in this process.
 */
import { spawn } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  buildInfo,
  configArg,
  encodeFrame,
  frameReader,
  LEGACY_MISMATCH,
  PROTOCOL_VERSION,
  socketPath,
  type BuildInfo,
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

/** The directory of the txbox package this process runs from. */
export function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..");
}

/** The build this client runs (computed once per process; a daemon compares it with its own). */
let own: BuildInfo | undefined;
export function ownBuild(): BuildInfo {
  own ??= buildInfo(packageRoot());
  return own;
}

/** How one attempt at the daemon ended. */
type Answer =
  | { kind: "exit"; code: number }
  /** The daemon runs another build and has stopped listening: start one of ours. */
  | { kind: "stale" }
  /** A protocol-1 daemon (before the build handshake) refused the request and still listens. */
  | { kind: "legacy" }
  /** The connection closed mid-command. */
  | { kind: "lost" };

/**
 * The command's stdin (MCP's protocol; other commands read none): held back until a daemon
 * accepts the request, so that nothing is lost to a daemon that turns out to be stale.
 */
interface StdinRelay {
  /** A daemon took the request: send what was held and what follows. */
  attach(send: (frame: ClientFrame) => boolean): void;
  /** Done with the daemon: stop reading stdin (or hand it back unread to run in this process). */
  release(handBack: boolean): void;
}

function stdinRelay(proc: NodeJS.Process, mcp: boolean): StdinRelay {
  if (!mcp) return { attach: (send) => void send({ t: "eof" }), release: () => undefined };
  const held: Buffer[] = [];
  let ended = false;
  let sink: ((frame: ClientFrame) => boolean) | undefined;
  const onData = (d: Buffer): void => {
    if (sink === undefined) held.push(d);
    else sink({ t: "in", d: d.toString("base64") });
  };
  const onEnd = (): void => {
    ended = true;
    sink?.({ t: "eof" });
  };
  proc.stdin.on("data", onData);
  proc.stdin.on("end", onEnd);
  return {
    attach(send) {
      sink = send;
      for (const d of held.splice(0)) send({ t: "in", d: d.toString("base64") });
      if (ended) send({ t: "eof" });
    },
    release(handBack) {
      proc.stdin.off("data", onData);
      proc.stdin.off("end", onEnd);
      if (!handBack) {
        proc.stdin.destroy();
        return;
      }
      proc.stdin.pause();
      if (!ended) for (const d of held.splice(0).reverse()) proc.stdin.unshift(d);
    },
  };
}

/** Send the request on `socket` and relay the answer; resolves how the attempt ended. */
function exchange(
  socket: Socket,
  request: ClientFrame,
  stdin: StdinRelay,
  proc: NodeJS.Process,
): Promise<Answer> {
  const send = (frame: ClientFrame): boolean => socket.write(encodeFrame(frame));
  return new Promise<Answer>((resolveAnswer) => {
    let answer: Answer | undefined;
    let first = true;
    let legacy = false;
    socket.on(
      "data",
      frameReader<DaemonFrame>((frame) => {
        const isFirst = first;
        first = false;
        if (answer !== undefined) return;
        if (frame.t === "ack") stdin.attach(send);
        else if (frame.t === "stale") {
          answer = { kind: "stale" };
          socket.destroy();
        } else if (frame.t === "out") proc.stdout.write(Buffer.from(frame.d, "base64"));
        else if (frame.t === "err") {
          const bytes = Buffer.from(frame.d, "base64");
          if (isFirst && bytes.toString("utf8") === LEGACY_MISMATCH) legacy = true;
          else proc.stderr.write(bytes);
        } else if (frame.t === "exit") {
          answer = legacy ? { kind: "legacy" } : { kind: "exit", code: frame.code };
          socket.end();
        }
      }),
    );
    socket.on("error", () => undefined);
    socket.on("close", () => resolveAnswer(answer ?? { kind: "lost" }));
    send(request);
  });
}

/** Ask a protocol-1 daemon to stop and wait (briefly) for its socket to go. */
async function retireLegacy(path: string): Promise<boolean> {
  await new Promise<void>((done) => {
    const s = connect(path);
    s.once("connect", () => s.end(encodeFrame({ t: "ctl", op: "stop" })));
    s.on("data", () => undefined);
    s.once("error", () => done());
    s.once("close", () => done());
  });
  const deadline = Date.now() + 3_000;
  while (existsSync(path)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * Run the command through the daemon; its exit status, or `undefined` when it must run in this
 * process instead (not a daemon command, or no daemon of this build can be reached: then a note
 * on stderr). A daemon of another build (older code, another version) is never used: it stops
 * listening when it sees this client's build, and a daemon of this build is started instead.
 */
export async function viaDaemon(
  argv: string[],
  mainStart: number,
  proc: NodeJS.Process = process,
): Promise<number | undefined> {
  const words = optionWords(argv.slice(2));
  // A daemon's build is taken before it loads anything else of txbox.
  if (words[0] === "serve") ownBuild();
  if (!forDaemon(argv, proc.env)) return undefined;
  const cwd = proc.cwd();
  const config = configArg(words);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(proc.env)) if (v !== undefined) env[k] = v;
  const { version, build } = ownBuild();
  const stdin = stdinRelay(proc, words[0] === "mcp");
  const inProcess = (why: string): undefined => {
    stdin.release(true);
    proc.stderr.write(`txbox: ${why}; running in this process\n`);
    return undefined;
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    let socket: Socket;
    let path: string;
    try {
      path = socketPath(cwd, proc.env, config);
      socket = await reach(path, cwd, proc.env, config);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return inProcess(`the daemon is not reachable (${message})`);
    }
    const answer = await exchange(
      socket,
      {
        t: "req",
        v: PROTOCOL_VERSION,
        version,
        build,
        argv,
        cwd,
        env,
        clock: { processStart: performance.timeOrigin, mainStart, sentAt: epochNow() },
      },
      stdin,
      proc,
    );
    if (answer.kind === "exit") {
      stdin.release(false);
      return answer.code;
    }
    if (answer.kind === "lost") {
      stdin.release(false);
      proc.stderr.write("txbox: error [E_DAEMON]: the daemon closed the connection mid-command\n");
      proc.stderr.write("hint: see `txbox serve --status`; rerun with --no-daemon\n");
      return 1;
    }
    if (answer.kind === "legacy" && !(await retireLegacy(path)))
      return inProcess(`the daemon on ${path} runs an older txbox and is busy`);
  }
  return inProcess("no daemon of this build of txbox could be started");
}
