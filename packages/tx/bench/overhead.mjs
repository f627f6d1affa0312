// Engine overhead on the directory-backed TEST DOUBLE guest (not Proxmox): the journal's cost
// (fsync per state change, synchronous=FULL) and the engine's bookkeeping around a `true` command.
// Run after `pnpm exec tsc -b packages/tx`: node packages/tx/bench/overhead.mjs [iterations]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { openJournal, TxEngine } from "../lib/index.js";
import { DirGuests } from "../test/support/dir-guests.mjs";

const n = Number(process.argv[2] ?? 50);
const dir = mkdtempSync(join(tmpdir(), "txbox-bench-"));
const journal = openJournal(join(dir, "journal.db"));
const guests = new DirGuests(join(dir, "guests"));
const G = { vmid: 100 };
guests.ensure(G, { "a.txt": "a\n" });
const engine = new TxEngine({
  journal,
  snapshots: guests.snapshotPort(),
  exec: guests.execPort(),
  crash: () => {},
});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const journalOnly = [];
for (let i = 0; i < n; i++) {
  const t = performance.now();
  journal.createTx({
    txid: `b${i}`,
    guest: { vmid: 999 },
    command: "x",
    decision: "transact",
    ruleIds: [],
    reasons: [],
    snapshotName: `txbox-b${i}`,
    keepSnapshot: false,
  });
  journal.transition(`b${i}`, "INTENT", "SNAPSHOTTING", { type: "BEGIN" });
  journalOnly.push(performance.now() - t);
}
const allow = [];
const tx = [];
for (let i = 0; i < n; i++) {
  let t = performance.now();
  await engine.run({
    guest: G,
    command: "true",
    decision: { decision: "allow", ruleIds: [], reasons: [] },
  });
  allow.push(performance.now() - t);
  t = performance.now();
  const r = await engine.run({
    guest: G,
    command: "true",
    decision: { decision: "transact", ruleIds: [], reasons: [] },
  });
  if (r.outcome !== "committed") throw new Error(JSON.stringify(r));
  tx.push(performance.now() - t);
}
console.log(
  JSON.stringify({
    iterations: n,
    journalTwoWritesMedianMs: +median(journalOnly).toFixed(2),
    allowMedianMs: +median(allow).toFixed(2),
    transactMedianMs: +median(tx).toFixed(2),
    transactJournalWritesPerTx: journal.events(journal.listTxs({ limit: 1 })[0].txid).length + 1,
  }),
);
journal.close();
rmSync(dir, { recursive: true, force: true });
