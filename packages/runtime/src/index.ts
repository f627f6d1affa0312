export type { RuntimeEnv } from "./environment.js";
export { commandTextProblem, type CommandTextProblem } from "./command-text.js";
export { gate } from "./gate.js";
export { ChainMemory } from "./chain.js";
export { configFor, findConfigFile, policyFor, guestPolicies, policyContext } from "./policy.js";
export { coldHost, WarmHost, type Host } from "./host.js";
export { loggerFor } from "./logger.js";
export {
  findTestbedState,
  readTestbedState,
  operatorKeyFile,
  fetchTestbedGuests,
  type TestbedState,
  type TestbedGuest,
} from "./testbed-state.js";
export { resolveTarget, journalPath, type Target, type GuestSsh } from "./target.js";
export { SshExecPort } from "./ssh-port.js";
export { OutputStore, DEFAULT_OUTPUT_BYTES, type OutputRetention } from "./output-store.js";
export { ProxmoxSnapshotPort, rootStorage } from "./snapshot-port.js";
export {
  openSession,
  openJournalFor,
  withSession,
  type Session,
  type SessionOptions,
  type ExecuteInput,
  type LeaseUse,
  type ExecuteResult,
  type Timings,
} from "./session.js";
export { outcomeOf, sessionPort, sessionBenchRunner, type PortOptions } from "./adapters.js";
export { testbedFaults, faultPatch, TESTBED_FAULT_KINDS } from "./faults.js";
export { runDoctor, type Check, type DoctorReport, type DoctorOptions } from "./doctor/index.js";
export { GuestLeases, localOrchestrator, type Holding } from "./cluster-lease.js";
export {
  readCluster,
  mergeClusterList,
  adoptRecords,
  type ClusterTx,
  type GuestView,
} from "./cluster.js";
export {
  recoverWithCluster,
  rollbackWithCluster,
  listCluster,
  type ClusterRecoveryReport,
} from "./cluster-ops.js";
export {
  proxmoxNetPort,
  addressOf,
  managementAddress,
  type ProxmoxNetPort,
  type ProxmoxNetPortOptions,
  type NetSshEndpoint,
} from "./net-port/index.js";
export { paperBenchOn, benchGuest, type PaperOnSession } from "./paper-bench.js";
