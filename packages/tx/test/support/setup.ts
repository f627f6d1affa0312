// Test set-up: a temporary directory with a journal and directory-backed TEST DOUBLE guests.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openJournal, type Journal } from "../../src/journal.js";
import { TxEngine, type EngineOptions } from "../../src/index.js";
import type { PolicyDecision } from "../../src/ports.js";
import { DirGuests } from "./dir-guests.mjs";

export const TRANSACT: PolicyDecision = {
  decision: "transact",
  ruleIds: ["fs.write"],
  reasons: ["writes files"],
};
export const ALLOW: PolicyDecision = {
  decision: "allow",
  ruleIds: ["read.ls"],
  reasons: ["read-only"],
};
export const DENY: PolicyDecision = {
  decision: "deny",
  ruleIds: ["fs.rm-root"],
  reasons: ["deletes the root file system"],
  alternative: "rm -rf ./build",
};

export interface Fixture {
  dir: string;
  journalFile: string;
  journal: Journal;
  guests: DirGuests;
  engine(options?: Partial<EngineOptions>): TxEngine;
  read(vmid: number, path: string): string;
  cleanup(): void;
}

export function fixture(options: { zfs?: boolean; stopOnRollback?: boolean } = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), "txbox-tx-"));
  const journalFile = join(dir, "journal.db");
  const journal = openJournal(journalFile);
  const guests = new DirGuests(join(dir, "guests"), {
    rollbackOnlyNewest: options.zfs ?? false,
    stopOnRollback: options.stopOnRollback ?? false,
  });
  return {
    dir,
    journalFile,
    journal,
    guests,
    engine: (o = {}) =>
      new TxEngine({
        journal,
        snapshots: guests.snapshotPort(),
        exec: guests.execPort(),
        crash: () => {},
        execTimeoutMs: 10_000,
        pollMs: 10,
        lockTimeoutMs: 10_000,
        sshWaitTimeoutMs: 2_000,
        lockSettleMs: 100,
        verify: { timeoutMs: 10_000, pingTimeoutMs: 1_000 },
        ...o,
      }),
    read: (vmid, path) => readFileSync(join(guests.root({ vmid }), path), "utf8"),
    cleanup: () => {
      journal.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
