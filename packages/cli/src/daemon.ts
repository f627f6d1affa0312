/**
 * The daemon's server side: each connection carries one command, run by the same `main` as a
 * command line, with an Io whose streams are the connection's frames and whose host keeps
 * config, compiled policy and sessions warm. So `--no-daemon` and the daemon run the same code.
 */
import { chmodSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { PassThrough, Writable } from "node:stream";
import { WarmHost } from "@txbox/runtime";
import {
  encodeFrame,
  frameReader,
  PROTOCOL_VERSION,
  watchBuild,
  type ClientFrame,
  type DaemonFrame,
  type BuildInfo,
  type DaemonStatus,
} from "@txbox/runtime/daemon";
import { ownBuild, packageRoot } from "./client.js";
import type { Io } from "./output.js";

/** Options of {@link serve}. */
export interface ServeOptions {
  socket: string;
  /** Stop after this long without a command in flight; 0: never. */
  idleMs: number;
  /** Where the daemon's own messages and the sessions' logs go. */
  log: NodeJS.WritableStream;
}

/** A writable that sends what is written as frames of one kind. */
function frameStream(conn: Socket, t: "out" | "err"): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      // A client that went away does not stop the command: it finishes and is recorded.
      if (conn.writable) conn.write(encodeFrame({ t, d: chunk.toString("base64") }));
      done();
    },
  });
}

function isSystemdSocket(env: NodeJS.ProcessEnv): boolean {
  return env.LISTEN_FDS === "1" && env.LISTEN_PID === String(process.pid);
}

/** Whether a daemon answers on `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolveAnswer) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolveAnswer(true);
    });
    s.once("error", () => resolveAnswer(false));
  });
}

function listen(server: Server, target: string | { fd: number }): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(target, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
}

/** What the connections of one daemon share. */
interface DaemonState {
  own: BuildInfo;
  host: WarmHost;
  main: (argv: string[], io: Io) => Promise<number>;
  active: number;
  requests: number;
  lastActivity: number;
  stopping: boolean;
  status(): DaemonStatus;
  /** Stop listening now and leave once running commands end. */
  retire(why: string): void;
}

/** Whether a request comes from a client of this daemon's protocol, version and build. Pure. */
function sameBuild(frame: Extract<ClientFrame, { t: "req" }>, own: BuildInfo): boolean {
  return frame.v === PROTOCOL_VERSION && frame.build === own.build && frame.version === own.version;
}

/** Answer a client of another build: `stale`, and in words for clients that predate the frame. */
function refuseStale(
  send: (f: DaemonFrame) => void,
  d: DaemonState,
  frame: { v: number; version?: string; build?: string },
): void {
  const { own } = d;
  d.retire(
    `a client of txbox ${frame.version ?? "?"} (build ${frame.build ?? "?"}, protocol ${frame.v}) asked; this daemon runs ${own.version} (build ${own.build})`,
  );
  send({ t: "stale", version: own.version, build: own.build });
  const words = `txbox: the daemon runs txbox ${own.version} (build ${own.build}), not this client's; it is stopping: run the command again\n`;
  send({ t: "err", d: Buffer.from(words).toString("base64") });
  send({ t: "exit", code: 75 });
}

/** One connection: a control frame, or one command run by `main` with the connection as its Io. */
function handleConnection(conn: Socket, d: DaemonState): void {
  const stdin = new PassThrough();
  let started = false;
  const send = (frame: DaemonFrame): void => {
    if (conn.writable) conn.write(encodeFrame(frame));
  };
  conn.on("error", () => undefined);
  conn.on("close", () => stdin.end());
  conn.on(
    "data",
    frameReader<ClientFrame>((frame) => {
      if (frame.t === "in") stdin.write(Buffer.from(frame.d, "base64"));
      else if (frame.t === "eof") stdin.end();
      else if (frame.t === "ctl") {
        if (frame.op === "stop") d.stopping = true;
        send({ t: "ctl", status: d.status() });
        conn.end();
      } else if (frame.t === "req" && !started) {
        started = true;
        if (!sameBuild(frame, d.own)) {
          refuseStale(send, d, frame);
          conn.end();
          return;
        }
        send({ t: "ack" });
        d.active++;
        d.requests++;
        d.lastActivity = Date.now();
        const io: Io = {
          stdout: frameStream(conn, "out"),
          stderr: frameStream(conn, "err"),
          stdin,
          env: frame.env,
          cwd: frame.cwd,
          host: d.host,
          clock: { ...frame.clock },
        };
        void d
          .main(frame.argv, io)
          .catch(() => 1)
          .then((code) => {
            send({ t: "exit", code });
            conn.end();
          })
          .finally(() => {
            d.active--;
            d.lastActivity = Date.now();
          });
      }
    }),
  );
}

/**
 * Serve until idle or signalled. Resolves `false` when another daemon already serves the socket
 * (two clients started one each: the second one leaves). A client of another build makes it stop
 * listening at once (the socket file goes with the listener, so that client starts a daemon of
 * its own build) and leave once running commands end; so does a change to what it loaded.
 */
export async function serve(options: ServeOptions): Promise<boolean> {
  // Taken when this process started, before it loaded the code it serves.
  const own = ownBuild();
  const { main } = await import("./main.js");
  const say = (t: string): void => void options.log.write(`${new Date().toISOString()} ${t}\n`);
  const startedAt = Date.now();
  let retired = false;
  const d: DaemonState = {
    own,
    host: new WarmHost(options.log),
    main,
    active: 0,
    requests: 0,
    lastActivity: Date.now(),
    stopping: false,
    status: () => ({
      pid: process.pid,
      socket: options.socket,
      startedAt,
      requests: d.requests,
      active: d.active,
      idleMs: options.idleMs,
      version: own.version,
      build: own.build,
    }),
    retire(why) {
      if (retired) return;
      retired = true;
      d.stopping = true;
      say(`${why}: no longer listening, leaving once ${d.active} running commands end`);
      if (server.listening) server.close();
    },
  };
  const unwatch = watchBuild(packageRoot(), (file) =>
    d.retire(
      `${file} changed since this daemon started (txbox ${own.version}, build ${own.build})`,
    ),
  );
  const server = createServer((conn) => handleConnection(conn, d));
  if (isSystemdSocket(process.env)) {
    await listen(server, { fd: 3 });
  } else {
    try {
      await listen(server, options.socket);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
      if (await answers(options.socket)) {
        say(`another daemon serves ${options.socket}; leaving`);
        return false;
      }
      unlinkSync(options.socket); // left by a daemon that died
      await listen(server, options.socket);
    }
    chmodSync(options.socket, 0o600);
  }
  say(`serving ${options.socket} (pid ${process.pid}, idle stop ${options.idleMs} ms)`);

  await new Promise<void>((resolveStop) => {
    const onSignal = (): void => {
      d.stopping = true;
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    const timer = setInterval(() => {
      const idle = options.idleMs > 0 && Date.now() - d.lastActivity > options.idleMs;
      if (d.active === 0 && d.host.busy() === 0 && (d.stopping || idle)) {
        clearInterval(timer);
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        resolveStop();
      } else void d.host.sweep(Math.max(options.idleMs, 60_000));
    }, 200);
  });
  unwatch();
  say(`stopping after ${d.requests} commands`);
  if (server.listening) await new Promise<void>((r) => server.close(() => r()));
  await d.host.close();
  return true;
}

/** Ask the daemon on `path` for its status (and to stop, with `stop`); `undefined`: none runs. */
export async function control(path: string, stop: boolean): Promise<DaemonStatus | undefined> {
  return await new Promise((resolveStatus) => {
    const s = connect(path);
    let status: DaemonStatus | undefined;
    s.on(
      "data",
      frameReader<DaemonFrame>((f) => {
        if (f.t === "ctl") status = f.status;
      }),
    );
    s.once("connect", () => s.write(encodeFrame({ t: "ctl", op: stop ? "stop" : "status" })));
    s.once("error", () => resolveStatus(undefined));
    s.once("close", () => resolveStatus(status));
  });
}
