export {
  guestKey,
  systemClock,
  type GuestRef,
  type SnapshotInfo,
  type SnapshotPort,
  type ExecResult,
  type ExecOptions,
  type ExecPort,
  type Clock,
  type PolicyDecision,
  type DecideFn,
} from "./ports.js";
export {
  GuestBusy,
  NestedSnapshot,
  JournalError,
  TxNotFound,
  RecoveryFailed,
  RollbackFailed,
  InvalidTransition,
  TxStateError,
  JournalNotFound,
} from "./errors.js";
export {
  RECORD_TAG,
  RECORD_MAX_CHARS,
  RECORD_COMMAND_CHARS,
  recordMarker,
  newRecord,
  encodeRecord,
  decodeRecord,
  orchestratorId,
  type Orchestrator,
  type ClusterRecord,
  type LegacyRecord,
} from "./record.js";
export {
  LEASE_TAG,
  DESCRIPTION_MAX_CHARS,
  splitDescription,
  joinDescription,
  leaseVerdict,
  mayTake,
  type Lease,
  type LeaseVerdict,
  type LeaseView,
  type SplitDescription,
} from "./lease.js";
export {
  TX_STATES,
  TERMINAL_STATES,
  isTerminal,
  next,
  accepts,
  followUp,
  outcomeOf,
  type TxState,
  type TxEvent,
  type TxEventType,
  type TxEffect,
  type TxStep,
  type TxOutcome,
} from "./machine.js";
export {
  Journal,
  openJournal,
  type JournalOptions,
  type TxRecord,
  type TxPatch,
  type NewTx,
  type AuditRecord,
  type TxEventRecord,
  type LockOwner,
  type LockRow,
} from "./journal.js";
export { ownerAlive, processStartTime, currentOwner } from "./lock.js";
export {
  DEFAULT_VERIFY_POLICY,
  verifyOutcome,
  captureDigests,
  digestScript,
  parseDigests,
  changedPaths,
  judgeExit,
  shellQuote,
  sha256,
  type VerifyPolicy,
  type VerifyReport,
  type CheckResult,
  type CheckName,
} from "./verify.js";
export { CRASH_STEPS, crashHookFromEnv, type CrashStep, type CrashHook } from "./crash.js";
export {
  SNAPSHOT_PREFIX,
  snapshotName,
  snapshotDescription,
  txidOfSnapshot,
  newerSnapshots,
} from "./snapshots.js";
export { TxEngine } from "./engine.js";
export { SimulatedCrash } from "./engine/context.js";
export {
  parseGuestKey,
  emptyReport,
  engineOptionsFromConfig,
  type EngineOptions,
  type Retention,
  type RunInput,
  type RunResult,
  type RunTimings,
  type RecoveryReport,
  type PrunedSnapshot,
} from "./engine/types.js";
