import { socketPath } from "@txbox/runtime/daemon";
import type { Register } from "../main.js";
import { EXIT, printJson, println } from "../output.js";
import { parseDuration } from "./common-tx.js";

interface ServeOptions {
  socket?: string;
  config?: string;
  idle: string;
  status?: boolean;
  stop?: boolean;
  json?: boolean;
}

export const registerServe: Register = (program, io, outcome) => {
  program
    .command("serve")
    .description(
      "keep this project's session warm on a Unix socket: txbox run, policy check and mcp use it (started on first use)",
    )
    .option("--socket <path>", "the socket (default: the one of this directory's journal)")
    .option("--config <file>", "txbox.yaml to use")
    .option("--idle <duration>", "stop after this long without a command (0: never)", "10m")
    .option("--status", "print the running daemon's status")
    .option("--stop", "ask the running daemon to stop once its commands have finished")
    .option("--json", "machine-readable output (with --status and --stop)")
    .addHelpText(
      "after",
      "\nOne daemon per journal, per user; its socket lives in $XDG_RUNTIME_DIR/txbox (else /tmp/txbox-UID, 0700).\n" +
        "Commands run with --no-daemon (or TXBOX_NO_DAEMON=1) behave the same in their own process.\n" +
        "Under systemd: packages/cli/systemd/txbox@.service (socket activation also works: LISTEN_FDS).",
    )
    .action(async (opts: ServeOptions) => {
      const { control, serve } = await import("../daemon.js");
      const path = opts.socket ?? socketPath(io.cwd, io.env, opts.config);
      if (opts.status || opts.stop) {
        const status = await control(path, opts.stop === true);
        if (opts.json) printJson(io, { running: status !== undefined, socket: path, ...status });
        else if (status === undefined) println(io, `no daemon on ${path}`);
        else
          println(
            io,
            `daemon pid ${status.pid} on ${path} (txbox ${status.version ?? "?"}, build ${status.build ?? "?"}): ${status.requests} commands, ${status.active} running` +
              (opts.stop ? "; stopping" : ""),
          );
        outcome.code = status === undefined && opts.status ? EXIT.failure : EXIT.ok;
        return;
      }
      const idleMs = parseDuration(opts.idle, "--idle");
      await serve({ socket: path, idleMs, log: io.stderr });
      outcome.code = EXIT.ok;
    });
};
