/**
 * The driver: the state machine decides, this loop journals and dispatches. It feeds an event to
 * {@link next}, journals the new state BEFORE performing the effects that state announces, hands
 * each effect to the module of its job, and feeds the effect's outcome back as the next event.
 */
import type { TxPatch, TxRecord } from "../journal.js";
import { followUp, next, type TxEffect, type TxEvent } from "../machine.js";
import { createSnapshot, prepare } from "./begin.js";
import { commit, removeSnapshot } from "./commit.js";
import type { DriveContext, Engine, Outcome } from "./context.js";
import { execute } from "./exec.js";
import { rollback } from "./rollback.js";
import { verify } from "./verify.js";

/** Drive `tx` from `event` until the machine produces no effect and no follow-up event. */
export async function drive(
  e: Engine,
  tx: TxRecord,
  event: TxEvent,
  ctx: DriveContext,
  patch?: TxPatch,
): Promise<TxRecord> {
  let pending: { event: TxEvent; patch?: TxPatch } | undefined = {
    event,
    ...(patch ? { patch } : {}),
  };
  while (pending !== undefined) {
    const step = next(tx.state, pending.event);
    const from = tx;
    const { event: ev, patch: pt } = pending;
    const write = (): TxRecord => e.journal.transition(from.txid, from.state, step.state, ev, pt);
    // Synced before an effect outside the journal; otherwise with the next synced write.
    tx = step.effects.some(needsDurableIntent) ? write() : e.journal.lazily(write);
    e.log("debug", `tx ${tx.txid} → ${tx.state}`, { txid: tx.txid, state: tx.state });
    pending = undefined;
    for (const effect of step.effects) {
      const outcome = await perform(e, tx, effect, ctx);
      if (outcome === undefined) continue;
      if (outcome.event === undefined) {
        tx = e.journal.update(tx.txid, outcome.patch);
        continue;
      }
      pending = { event: outcome.event, ...(outcome.patch ? { patch: outcome.patch } : {}) };
      break;
    }
    if (pending === undefined) {
      const auto = followUp(tx.state);
      if (auto !== undefined) pending = { event: auto };
    }
  }
  return tx;
}

/** Whether the state announcing `effect` must be on disk before it runs (it acts outside). */
function needsDurableIntent(effect: TxEffect): boolean {
  switch (effect.kind) {
    case "prepare":
    case "verify":
      return false; // reads; user checks run inside the transaction and are rolled back with it
    case "commit":
      return !effect.keepSnapshot; // keeping the snapshot touches nothing outside
    default:
      return true;
  }
}

function perform(e: Engine, tx: TxRecord, effect: TxEffect, ctx: DriveContext): Promise<Outcome> {
  switch (effect.kind) {
    case "createSnapshot":
      return createSnapshot(e, tx, ctx);
    case "prepare":
      return prepare(e, tx, ctx);
    case "execute":
      return execute(e, tx, ctx);
    case "verify":
      return verify(e, tx, ctx);
    case "commit":
      return commit(e, tx, ctx, effect.keepSnapshot);
    case "rollback":
      return rollback(e, tx, ctx);
    case "removeSnapshot":
      return removeSnapshot(e, tx);
  }
}
