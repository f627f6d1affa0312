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
  type ClientFrame,
  type DaemonFrame,
  type DaemonStatus,
} from "@txbox/runtime/daemon";
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

/**
 * Serve until idle or signalled. Resolves `false` when another daemon already serves the socket
 * (two clients started one each: the second one leaves).
 */
export async function serve(options: ServeOptions): Promise<boolean> {
  const { main } = await import("./main.js");
  const say = (t: string): void => void options.log.write(`${new Date().toISOString()} ${t}\n`);
  const host = new WarmHost(options.log);
  const startedAt = Date.now();
  let active = 0;
  let requests = 0;
  let lastActivity = Date.now();
  let stopping = false;
  const status = (): DaemonStatus => ({
    pid: process.pid,
    socket: options.socket,
    startedAt,
    requests,
    active,
    idleMs: options.idleMs,
  });

  const handle = (conn: Socket): void => {
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
          if (frame.op === "stop") stopping = true;
          send({ t: "ctl", status: status() });
          conn.end();
        } else if (frame.t === "req" && !started) {
          started = true;
          if (frame.v !== PROTOCOL_VERSION) {
            send({
              t: "err",
              d: Buffer.from("txbox: daemon protocol mismatch\n").toString("base64"),
            });
            send({ t: "exit", code: 70 });
            conn.end();
            return;
          }
          active++;
          requests++;
          lastActivity = Date.now();
          const io: Io = {
            stdout: frameStream(conn, "out"),
            stderr: frameStream(conn, "err"),
            stdin,
            env: frame.env,
            cwd: frame.cwd,
            host,
            clock: { ...frame.clock },
          };
          void main(frame.argv, io)
            .catch(() => 1)
            .then((code) => {
              send({ t: "exit", code });
              conn.end();
            })
            .finally(() => {
              active--;
              lastActivity = Date.now();
            });
        }
      }),
    );
  };

  const server = createServer(handle);
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
      stopping = true;
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    const timer = setInterval(() => {
      const idle = options.idleMs > 0 && Date.now() - lastActivity > options.idleMs;
      if (active === 0 && host.busy() === 0 && (stopping || idle)) {
        clearInterval(timer);
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        resolveStop();
      } else void host.sweep(Math.max(options.idleMs, 60_000));
    }, 200);
  });
  say(`stopping after ${requests} commands`);
  await new Promise<void>((r) => server.close(() => r()));
  await host.close();
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
