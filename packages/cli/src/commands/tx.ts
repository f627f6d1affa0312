import type { Command } from "commander";
import type { AuditRecord, TxRecord } from "@txbox/tx";
import type { Outcome, Register } from "../main.js";
import { EXIT, printJson, println, type Io } from "../output.js";
import {
  listCluster,
  openJournalFor,
  recoverWithCluster,
  rollbackWithCluster,
  type ClusterTx,
} from "@txbox/runtime";
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

function printClusterList(io: Io, journal: string | null, txs: ClusterTx[]): void {
  if (journal === null) println(io, "(no local journal here: transactions from the cluster only)");
  if (txs.length === 0) {
    println(io, "no transactions");
    return;
  }
  println(
    io,
    "TXID                          GUEST  STATE        SOURCE   ORCHESTRATOR                    LEASE              WHEN                  COMMAND",
  );
  for (const t of txs) {
    const lease =
      t.lease === undefined
        ? "-"
        : `${t.lease.verdict}${t.lease.verdict === "held" ? ` ${when(t.lease.until)}` : ""}`;
    println(
      io,
      `${t.txid.padEnd(29)} ${String(t.guest.vmid).padEnd(6)} ${t.state.padEnd(12)} ${t.source.padEnd(8)} ${oneLine(t.orchestrator ?? "-", 31).padEnd(31)} ${lease.padEnd(18)} ${t.startedAt === null ? "-".padEnd(20) : when(t.startedAt)}  ${oneLine(t.command)}`,
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

/** Where read commands look for the journal, and what they say when there is none. */
const NO_JOURNAL_HELP =
  "\nThe journal is $TXBOX_JOURNAL, else tx.journal of txbox.yaml, else beside the testbed state, else\n$XDG_STATE_HOME/txbox/journal.db. It is never created here: with none, exit 1 with E_NO_JOURNAL\n(--json: {code, message, details: {file}}).";

function registerTxList(tx: Command, io: Io, outcome: Outcome): void {
  withTxCommon(tx.command("list") as Command)
    .description(
      "transactions from the journal, newest first; with --cluster, from every guest's txbox snapshots over the API, merged with the journal",
    )
    .option("--guest <vmid>", "only this guest")
    .option("--limit <n>", "at most this many", "20")
    .option(
      "--cluster",
      "read the transaction records on the guests' snapshots (any orchestrator's; no local journal needed)",
    )
    .addHelpText(
      "after",
      `${NO_JOURNAL_HELP}\n--cluster needs no journal; --json prints {journal, transactions: [{txid, guest, state, command,\norchestrator, startedAt, snapshot, source, lease?}]}.`,
    )
    .action(
      async (opts: TxCommonOptions & { guest?: string; limit?: string; cluster?: boolean }) => {
        const guest = parseGuest(opts.guest);
        const limit = parseCount(opts.limit, "--limit");
        if (opts.cluster) {
          const listed = await listCluster(io, {
            ...(opts.config === undefined ? {} : { config: opts.config }),
            ...(guest === undefined ? {} : { guest: guest.vmid }),
            ...(limit === undefined ? {} : { limit }),
          });
          if (opts.json) printJson(io, listed);
          else printClusterList(io, listed.journal, listed.transactions);
          outcome.code = EXIT.ok;
          return;
        }
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
      },
    );
}

function registerTxAudit(tx: Command, io: Io, outcome: Outcome): void {
  withTxCommon(tx.command("audit") as Command)
    .description(
      "every command txbox was asked to run — allowed, denied or transacted — newest last",
    )
    .option("--guest <vmid>", "only this guest")
    .option("--limit <n>", "the last this many", "50")
    .addHelpText("after", NO_JOURNAL_HELP)
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
}

function registerTxShow(tx: Command, io: Io, outcome: Outcome): void {
  withTxCommon(tx.command("show") as Command)
    .description("one transaction with its state history")
    .argument("<txid>", "the transaction id")
    .addHelpText("after", NO_JOURNAL_HELP)
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
}

function registerTxRollback(tx: Command, io: Io, outcome: Outcome): void {
  withTxCommon(tx.command("rollback") as Command)
    .description(
      "return the guest to its state before a committed transaction whose snapshot was kept (later commits on the guest are undone with it)",
    )
    .argument(
      "<txid>",
      "the transaction id (this journal's, or another orchestrator's from its snapshot record)",
    )
    .option(
      "--force",
      "take the guest's lease even while another orchestrator seems to hold it (its owner is gone)",
    )
    .action(async (txid: string, opts: TxCommonOptions & { force?: boolean }) => {
      const done = await withSession(io, opts, (s) =>
        rollbackWithCluster(s, txid, opts.force ? { force: true } : {}),
      );
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
}

function registerTxRecover(tx: Command, io: Io, outcome: Outcome): void {
  withTxCommon(tx.command("recover") as Command)
    .description(
      "finish or undo transactions a crash left open, remove orphan txbox-* snapshots, release stale locks",
    )
    .option(
      "--guest <vmid>",
      "only this guest (default: every guest in the journal, and every guest whose snapshots hold another orchestrator's open transaction)",
    )
    .option(
      "--force",
      "recover other orchestrators' transactions even while their lease looks held (confirm their owner is gone first)",
    )
    .addHelpText(
      "after",
      "\nTransactions another orchestrator left open are found from their snapshots' records, adopted into\nthis journal (listed under `adopted`) and rolled back, once that orchestrator's lease of the guest\nhas expired (or its process on this host is gone), or at once with --force.",
    )
    .action(async (opts: TxCommonOptions & { guest?: string; force?: boolean }) => {
      const guest = parseGuest(opts.guest);
      const report = await withSession(io, opts, (s) =>
        recoverWithCluster(s, {
          ...(guest === undefined ? {} : { guest }),
          ...(opts.force ? { force: true } : {}),
        }),
      );
      if (opts.json) printJson(io, report);
      else {
        for (const a of report.adopted)
          println(io, `adopted ${a.txid} on ${a.guest.vmid} from its snapshot record`);
        printRecovery(io, report);
      }
      outcome.code = report.errors.length > 0 ? EXIT.failure : EXIT.ok;
    });
}

export const registerTx: Register = (program, io, outcome) => {
  const tx = program
    .command("tx")
    .description("transactions: list, show, roll back a committed one, recover after a crash");

  for (const register of [
    registerTxList,
    registerTxAudit,
    registerTxShow,
    registerTxRollback,
    registerTxRecover,
  ])
    register(tx, io, outcome);
};
