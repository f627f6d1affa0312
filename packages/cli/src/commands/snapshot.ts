import type { Command } from "commander";
import { durationMs } from "@txbox/core";
import type { Register } from "../main.js";
import { EXIT, printJson, println } from "../output.js";
import { withSession } from "../session.js";
import { parseCount, parseGuest, withTxCommon, type TxCommonOptions } from "./common-tx.js";

export const registerSnapshot: Register = (program, io, outcome) => {
  const snapshot = program.command("snapshot").description("txbox snapshots of guests");

  withTxCommon(snapshot.command("prune") as Command)
    .description(
      "delete kept snapshots of committed transactions beyond the newest N per guest or older than tx.keepFor (commits prune their guest's window themselves)",
    )
    .option("--guest <vmid>", "only this guest")
    .option("--keep-last <n>", "snapshots to keep per guest (default: tx.keepLast of txbox.yaml)")
    .action(async (opts: TxCommonOptions & { guest?: string; keepLast?: string }) => {
      const guest = parseGuest(opts.guest);
      const keepArg = parseCount(opts.keepLast, "--keep-last");
      const pruned = await withSession(io, opts, (s) =>
        s.engine.pruneSnapshots({
          ...(guest === undefined ? {} : { guest }),
          keepLast: keepArg ?? s.loaded.config.tx.keepLast,
          keepForMs: durationMs(s.loaded.config.tx.keepFor),
        }),
      );
      if (opts.json) printJson(io, { pruned });
      else if (pruned.length === 0) println(io, "nothing to prune");
      else
        for (const p of pruned)
          println(io, `deleted ${p.snapshot} of guest ${p.guest.vmid} (tx ${p.txid})`);
      outcome.code = EXIT.ok;
    });
};
