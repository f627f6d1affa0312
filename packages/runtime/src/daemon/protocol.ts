/**
 * The daemon's wire protocol and where its socket lives. Node built-ins only: the thin client
 * loads this and nothing else of txbox, so that a command through the daemon starts in the time
 * Node itself takes.
 *
 * One connection carries one command. Frames are JSON lines:
 *   client → daemon  {"t":"req", v, version, build, argv, cwd, env, clock}   then stdin as
 *                    {"t":"in","d":base64}… and {"t":"eof"}; or {"t":"ctl","op":"status"|"stop"}
 *   daemon → client  {"t":"out","d":base64} {"t":"err","d":base64}… then {"t":"exit","code":N}
 *                    (or {"t":"ctl", …} answering a control frame), after {"t":"ack"} saying
 *                    the daemon took the request (the client holds stdin back until then); or, when the request's protocol, version or build is not the daemon's own,
 *                    {"t":"stale", version, build}: the daemon has already stopped listening
 *                    (its socket is gone) and leaves once its running commands end; the client
 *                    starts a daemon of its own build and sends the command there.
 * Output is base64 so bytes pass unchanged; the exit frame ends the command.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/**
 * Protocol version. 2 added the build handshake; a daemon of version 1 answers a request of
 * another version with {@link LEGACY_MISMATCH} on stderr and exit 70, and keeps serving.
 */
export const PROTOCOL_VERSION = 2;

/** What a version-1 daemon writes to a client of another protocol version. */
export const LEGACY_MISMATCH = "txbox: daemon protocol mismatch\n";

export {
  buildInfo,
  buildPackages,
  watchBuild,
  type BuildInfo,
  type BuildPackage,
} from "./build.js";

/** The client's timeline so far, as epoch milliseconds (see `CommandClock` in the CLI). */
export interface WireClock {
  processStart: number;
  mainStart: number;
  sentAt: number;
}

export type ClientFrame =
  | {
      t: "req";
      v: number;
      /** The client's txbox version and build (see {@link buildInfo}). */
      version: string;
      build: string;
      argv: string[];
      cwd: string;
      env: Record<string, string>;
      clock: WireClock;
    }
  | { t: "in"; d: string }
  | { t: "eof" }
  | { t: "ctl"; op: "status" | "stop" };

export type DaemonFrame =
  | { t: "out"; d: string }
  | { t: "err"; d: string }
  | { t: "exit"; code: number }
  | { t: "stale"; version: string; build: string }
  /** The daemon took the request (its build is the client's): stdin may follow. */
  | { t: "ack" }
  | { t: "ctl"; status: DaemonStatus };

/** What `txbox serve --status` prints. */
export interface DaemonStatus {
  pid: number;
  socket: string;
  startedAt: number;
  requests: number;
  active: number;
  idleMs: number;
  /** The txbox version and build the daemon runs. */
  version: string;
  build: string;
}

/** One frame as a line. */
export function encodeFrame(frame: ClientFrame | DaemonFrame): string {
  return `${JSON.stringify(frame)}\n`;
}

/**
 * Split a byte stream into frames: feed chunks, get whole frames back. A line that is not JSON
 * is a protocol error (the peer is not a txbox daemon or client).
 */
export function frameReader<T>(onFrame: (frame: T) => void): (chunk: Buffer | string) => void {
  let pending = "";
  return (chunk) => {
    pending += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim() !== "") onFrame(JSON.parse(line) as T);
    }
  };
}

/** The value of `--config` (or `--config=…`) among the words before `--`, if any. Pure. */
export function configArg(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return undefined;
    if (a === "--config") return args[i + 1];
    if (a.startsWith("--config=")) return a.slice("--config=".length);
  }
  return undefined;
}

function nearest(cwd: string, name: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * What decides the journal a command uses, found the way the session finds it but without
 * reading any file: `$TXBOX_JOURNAL`, else txbox.yaml (its `tx.journal`), else the project
 * holding the testbed state, else the user's own journal. One daemon serves one such key, hence
 * one journal.
 */
export function journalKey(
  cwd: string,
  env: NodeJS.ProcessEnv,
  config: string | undefined,
): { config: string | null; project: string | null; journal?: string } {
  const journal = env.TXBOX_JOURNAL;
  if (journal !== undefined && journal !== "")
    return { config: null, project: null, journal: resolve(cwd, journal) };
  const explicit = config ?? env.TXBOX_CONFIG;
  const file =
    explicit !== undefined && explicit !== "" ? resolve(cwd, explicit) : nearest(cwd, "txbox.yaml");
  if (file !== undefined) return { config: file, project: null };
  const stateEnv = env.TXBOX_TESTBED_STATE;
  const state =
    stateEnv !== undefined && stateEnv !== ""
      ? resolve(cwd, stateEnv)
      : nearest(cwd, join(".txbox", "testbed.json"));
  if (state === undefined) return { config: null, project: null };
  const dir = dirname(state);
  return { config: null, project: dir.endsWith("/.txbox") ? dirname(dir) : dir };
}

/**
 * The directory of this user's daemon sockets: `$XDG_RUNTIME_DIR/txbox`, else
 * `/tmp/txbox-<uid>`. Created 0700; refused when it is not ours or others may write to it,
 * since whoever can reach a socket can run commands as this user.
 */
export function socketDir(env: NodeJS.ProcessEnv): string {
  const uid = process.getuid?.() ?? 0;
  const base = env.XDG_RUNTIME_DIR;
  const dir =
    base !== undefined && base !== "" ? join(base, "txbox") : join("/tmp", `txbox-${uid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new Error(
      `${dir}: not a private directory of uid ${uid} (mode ${(st.mode & 0o777).toString(8)}); refusing to use it for the txbox daemon socket`,
    );
  }
  return dir;
}

/** The socket of the daemon serving this command's journal. */
export function socketPath(cwd: string, env: NodeJS.ProcessEnv, config?: string): string {
  const key = journalKey(cwd, env, config);
  const hash = createHash("sha256").update(JSON.stringify(key)).digest("hex").slice(0, 16);
  return join(socketDir(env), `${hash}.sock`);
}
