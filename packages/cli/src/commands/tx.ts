import type { Command } from "commander";
import type { AuditRecord, TxRecord } from "@txbox/tx";
import type { Register } from "../main.js";
import { EXIT, printJson, println, type Io } from "../output.js";
import { openJournalFor } from "@txbox/runtime";
import { withSession } from "../session.js";
import {
  parseCount,
  parseGuest,
  printRecovery,
  withTxCommon,
  type TxCommonOptions,
} from "./common-tx.js";

function when(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
}

function oneLine(text: string, max = 60): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function printList(io: Io, txs: TxRecord[]): void {
  if (txs.length === 0) {
    println(io, "no transactions");
    return;
  }
  println(
    io,
    "TXID                          GUEST  DECISION  STATE        EXIT  WHEN                  COMMAND",
  );
  for (const t of txs) {
    println(
      io,
      `${t.txid.padEnd(29)} ${String(t.guest.vmid).padEnd(6)} ${t.decision.padEnd(9)} ${t.state.padEnd(12)} ${String(t.exitCode ?? "-").padEnd(5)} ${when(t.createdAt)}  ${oneLine(t.command)}`,
    );
  }
}

function printAudit(io: Io, records: AuditRecord[]): void {
  if (records.length === 0) {
    println(io, "no commands audited");
    return;
  }
  println(io, "WHEN                  GUEST  DECISION  OUTCOME      EXIT  ACTOR        COMMAND");
  for (const a of records) {
    println(
      io,
      `${when(a.at)}  ${String(a.guest.vmid).padEnd(6)} ${a.decision.padEnd(9)} ${a.outcome.padEnd(12)} ${String(a.exitCode ?? "-").padEnd(5)} ${(a.actor ?? "-").padEnd(12)} ${oneLine(a.command)}${a.decision === "deny" && a.ruleIds.length ? `  [${a.ruleIds.join(", ")}]` : ""}`,
    );
  }
}

interface EventLine {
  at?: number;
  from?: string | null;
  to?: string;
  event?: { type?: string; [k: string]: unknown };
}

function printTx(io: Io, t: TxRecord & { events: EventLine[] }): void {
  println(io, `transaction ${t.txid}`);
  println(io, `  guest:     ${t.guest.vmid}${t.guest.node ? ` on ${t.guest.node}` : ""}`);
  println(io, `  command:   ${t.command}`);
  println(io, `  decision:  ${t.decision}${t.ruleIds.length ? ` (${t.ruleIds.join(", ")})` : ""}`);
  println(io, `  state:     ${t.state}`);
  println(
    io,
    `  snapshot:  ${t.snapshotName}${t.snapshotRemoved ? " (removed)" : t.keepSnapshot ? " (kept)" : ""}`,
  );
  println(
    io,
    `  exit:      ${t.exitCode ?? "-"}${t.signal ? ` (${t.signal})` : ""}${t.timedOut ? " timed out" : ""}`,
  );
  if (t.error) println(io, `  error:     ${t.error}`);
  const timings = Object.entries(t.timings).map(
    ([k, v]) => `${k.replace(/Ms$/, "")} ${Math.round(v)} ms`,
  );
  if (timings.length) println(io, `  timings:   ${timings.join(", ")}`);
  println(io, `  created:   ${when(t.createdAt)}`);
  println(io, "  history:");
  for (const e of t.events) {
    const { type, ...rest } = e.event ?? {};
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
    println(
      io,
      `    ${e.at === undefined ? "" : when(e.at)}  ${e.from ?? "-"} → ${e.to ?? "?"}  (${type ?? "?"}${extra})`,
    );
  }
}

export const registerTx: Register = (program, io, outcome) => {
  const tx = program
    .command("tx")
    .description("transactions: list, show, roll back a committed one, recover after a crash");

  withTxCommon(tx.command("list") as Command)
    .description("transactions from the journal, newest first")
    .option("--guest <vmid>", "only this guest")
    .option("--limit <n>", "at most this many", "20")
    .action((opts: TxCommonOptions & { guest?: string; limit?: string }) => {
      const guest = parseGuest(opts.guest);
      const limit = parseCount(opts.limit, "--limit");
      const journal = openJournalFor(io, opts);
      try {
        const txs = journal.listTxs({
          ...(guest === undefined ? {} : { guest }),
          ...(limit === undefined ? {} : { limit }),
        });
        if (opts.json) printJson(io, txs);
        else printList(io, txs);
      } finally {
        journal.close();
      }
      outcome.code = EXIT.ok;
    });

  withTxCommon(tx.command("audit") as Command)
    .description(
      "every command txbox was asked to run — allowed, denied or transacted — newest last",
    )
    .option("--guest <vmid>", "only this guest")
    .option("--limit <n>", "the last this many", "50")
    .action((opts: TxCommonOptions & { guest?: string; limit?: string }) => {
      const guest = parseGuest(opts.guest);
      const limit = parseCount(opts.limit, "--limit");
      const journal = openJournalFor(io, opts);
      try {
        const records = journal.auditLog({
          ...(guest === undefined ? {} : { guest }),
          ...(limit === undefined ? {} : { limit }),
        });
        if (opts.json) printJson(io, records);
        else printAudit(io, records);
      } finally {
        journal.close();
      }
      outcome.code = EXIT.ok;
    });

  withTxCommon(tx.command("show") as Command)
    .description("one transaction with its state history")
    .argument("<txid>", "the transaction id")
    .action((txid: string, opts: TxCommonOptions) => {
      const journal = openJournalFor(io, opts);
      try {
        const t = { ...journal.getTx(txid), events: journal.events(txid) };
        if (opts.json) printJson(io, t);
        else printTx(io, t as TxRecord & { events: EventLine[] });
      } finally {
        journal.close();
      }
      outcome.code = EXIT.ok;
    });

  withTxCommon(tx.command("rollback") as Command)
    .description(
      "return the guest to its state before a committed transaction whose snapshot was kept (later commits on the guest are undone with it)",
    )
    .argument("<txid>", "the transaction id")
    .action(async (txid: string, opts: TxCommonOptions) => {
      const done = await withSession(io, opts, (s) => s.engine.rollbackTransaction(txid));
      if (opts.json) printJson(io, done);
      else
        println(
          io,
          `transaction ${txid} reverted: guest ${done.guest.vmid} is back at snapshot ${done.snapshotName}` +
            (done.superseded.length > 0
              ? `; later commits undone with it: ${done.superseded.join(", ")}`
              : ""),
        );
      outcome.code = EXIT.ok;
    });

  withTxCommon(tx.command("recover") as Command)
    .description(
      "finish or undo transactions a crash left open, remove orphan txbox-* snapshots, release stale locks",
    )
    .option("--guest <vmid>", "only this guest (default: every guest in the journal)")
    .action(async (opts: TxCommonOptions & { guest?: string }) => {
      const guest = parseGuest(opts.guest);
      const report = await withSession(io, opts, (s) =>
        s.engine.recover(guest === undefined ? {} : { guest }),
      );
      if (opts.json) printJson(io, report);
      else printRecovery(io, report);
      outcome.code = report.errors.length > 0 ? EXIT.failure : EXIT.ok;
    });
};
