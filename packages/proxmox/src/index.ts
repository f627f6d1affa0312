export {
  ProxmoxError,
  NotFound,
  Locked,
  AuthFailed,
  TaskFailed,
  Timeout,
  Unsupported,
  ApiError,
  TransportError,
  TlsFingerprintMismatch,
  SdnReloadFailed,
  RollbackBlocked,
  type ProxmoxErrorContext,
} from "./errors.js";
export { isProxmoxError } from "./guards.js";
export {
  mapHttpError,
  mapTaskExit,
  isTaskSuccess,
  lockOf,
  rollbackBlockedOn,
  failedReloadNodes,
} from "./mapping.js";
export {
  isSharedStorage,
  storageOnNode,
  rollsBackOnlyToNewest,
  diskStorages,
  snapshotSupport,
  type StorageDef,
} from "./storage.js";
export {
  RETRY,
  withRetry,
  backoffDelay,
  classify,
  type RetryPolicy,
  type RetryHooks,
} from "./retry.js";
export {
  waitTask,
  POLL,
  type TaskPoll,
  taskLog,
  type Requester,
  type TaskStatus,
  type TaskResult,
  type WaitTaskOptions,
} from "./tasks.js";
export { parseUpid, type Upid } from "./upid.js";
export {
  createDispatcher,
  normaliseFingerprint,
  FingerprintMismatch,
  type TlsOptions,
} from "./tls.js";
export { Transport, encodeParams, type Credentials, type TransportOptions } from "./transport.js";
export {
  connectionFromConfig,
  connectionFromTestbed,
  connectionFromTestbedState,
  readTestbedStateFile,
  type ProxmoxConnection,
  type TestbedStateFile,
} from "./connection.js";
export {
  ProxmoxClient,
  type ClusterResource,
  type ConnectOptions,
  type EffectOptions,
} from "./client.js";
export {
  Guest,
  snapshotTree,
  type GuestType,
  type GuestStatus,
  type Snapshot,
  type SnapshotTreeNode,
  type SnapshotList,
} from "./guest.js";
export { Sdn, type SdnObject, type SdnPending, type SdnLockKeeper } from "./sdn.js";
export { afterLateTimeout } from "./guest-rules.js";
export {
  Firewall,
  type FirewallScope,
  type FirewallRule,
  type FirewallRuleInput,
} from "./firewall.js";
export {
  PVE_CALLS,
  concreteNeeds,
  missingPrivileges,
  type PveCall,
  type PrivilegeNeed,
  type CallFeature,
  type ConcreteNeed,
  type PrivilegeScope,
} from "./privileges.js";
export { SUPPORTED_PVE_MAJORS, checkPveVersion } from "./version.js";
export { HaGuard, HaManaged } from "./ha.js";
