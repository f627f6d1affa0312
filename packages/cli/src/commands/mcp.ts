import { UsageError } from "@txbox/core";
import { serveStdio } from "@txbox/agent";
import type { Register } from "../main.js";
import { EXIT } from "../output.js";
import { sessionPort } from "@txbox/runtime";
import { guestSessionOptions, withGuestSession } from "../session.js";
import { parseGuest, type TxCommonOptions } from "./common-tx.js";

interface McpOptions extends Omit<TxCommonOptions, "json"> {
  guest?: string;
  cwd?: string;
  policy?: string[];
  keepSnapshot?: boolean;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export const registerMcp: Register = (program, io, outcome) => {
  program
    .command("mcp")
    .description(
      "serve MCP on stdio: run_command, list_transactions, rollback — every command through the gate",
    )
    .requiredOption("--guest <vmid>", "the guest commands run on")
    .option("--cwd <dir>", "the guest directory commands run in when they name none")
    .option("--config <file>", "txbox.yaml to use")
    .option("--policy <file>", "an extra rule pack (repeatable)", collect)
    .option("--keep-snapshot", "keep snapshots after commits, so the rollback tool can undo them")
    .option("--no-daemon", "run in this process instead of through `txbox serve`")
    .addHelpText(
      "after",
      '\nstdout carries the protocol; messages go to stderr. Example client entry:\n  {"command": "txbox", "args": ["mcp", "--guest", "101"]}',
    )
    .action(async (opts: McpOptions) => {
      const guest = parseGuest(opts.guest);
      if (guest === undefined) throw new UsageError("--guest is required");
      await withGuestSession(io, guestSessionOptions(opts), guest, async (s) => {
        io.stderr.write(`txbox: MCP server for guest ${guest.vmid} on stdio\n`);
        await serveStdio(
          sessionPort(s, guest, opts.cwd === undefined ? {} : { cwd: opts.cwd }),
          { name: "txbox" },
          io,
        );
      });
      outcome.code = EXIT.ok;
    });
};
