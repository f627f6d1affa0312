import { UsageError } from "@txbox/core";
import { serveStdio } from "@txbox/agent";
import type { Register } from "../main.js";
import { EXIT } from "../output.js";
import { sessionPort } from "../agent-port.js";
import { withSession } from "../wiring/session.js";
import { parseGuest, printRecovery, recoveryEmpty, type TxCommonOptions } from "./common-tx.js";

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
    .addHelpText(
      "after",
      '\nstdout carries the protocol; messages go to stderr. Example client entry:\n  {"command": "txbox", "args": ["mcp", "--guest", "101"]}',
    )
    .action(async (opts: McpOptions) => {
      const guest = parseGuest(opts.guest);
      if (guest === undefined) throw new UsageError("--guest is required");
      await withSession(
        io,
        {
          ...(opts.config === undefined ? {} : { config: opts.config }),
          ...(opts.policy === undefined ? {} : { policy: opts.policy }),
          ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
          ...(opts.keepSnapshot ? { keepSnapshot: true } : {}),
        },
        async (s) => {
          const report = await s.engine.recover({ guest });
          if (!recoveryEmpty(report))
            printRecovery(io, report, (t) => void io.stderr.write(`txbox: ${t}\n`));
          io.stderr.write(`txbox: MCP server for guest ${guest.vmid} on stdio\n`);
          await serveStdio(sessionPort(s, guest, opts.cwd === undefined ? {} : { cwd: opts.cwd }), {
            name: "txbox",
          });
        },
      );
      outcome.code = EXIT.ok;
    });
};
