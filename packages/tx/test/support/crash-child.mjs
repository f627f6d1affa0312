// Child process of the crash tests: runs ONE transaction with the BUILT engine (lib/) on the
// directory-backed TEST DOUBLE guests; TXBOX_CRASH_AT makes the engine SIGKILL this process.
// argv: <journal file> <guests dir> <vmid> <command> <retention> [protected paths, comma-separated]
import { openJournal, TxEngine } from "../../lib/index.js";
import { DirGuests } from "./dir-guests.mjs";

const [journalFile, guestsDir, vmid, command, retention, protectedPaths] = process.argv.slice(2);
const guests = new DirGuests(guestsDir);
const engine = new TxEngine({
  journal: openJournal(journalFile),
  snapshots: guests.snapshotPort(),
  exec: guests.execPort(),
  retention,
  pollMs: 10,
  verify: { protectedPaths: protectedPaths ? protectedPaths.split(",") : [] },
});
const result = await engine.run({
  guest: { vmid: Number(vmid) },
  command,
  decision: { decision: "transact", ruleIds: ["test"], reasons: ["crash test"] },
});
process.stdout.write(JSON.stringify(result));
