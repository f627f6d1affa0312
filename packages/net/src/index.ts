export {
  netSpecSchema,
  netSpecJsonSchema,
  SDN_ID,
  type NetSpec,
  type ControllerSpec,
  type ZoneSpec,
  type VnetSpec,
  type SubnetSpec,
  type GuestSpec,
  type EgressRuleSpec,
  type ManagementSpec,
} from "./spec.js";
export { loadNetSpec, parseNetSpec } from "./load.js";
export { compileSpec, marker, guestTag, within, type Desired } from "./desired.js";
export {
  plan,
  planDestroy,
  formatPlan,
  formatRule,
  type Plan,
  type Action,
  type Step,
  type FieldChange,
  type ObjectKind,
} from "./plan.js";
export {
  apply,
  converge,
  destroy,
  observe,
  checkPrerequisites,
  type ApplyOptions,
  type ApplyResult,
  type ProgressEvent,
} from "./apply.js";
export type {
  NetPort,
  CallOptions,
  CloneRequest,
  FirewallRule,
  FirewallState,
  GuestRef,
  Ledger,
  Observed,
  ObservedGuest,
  PendingFields,
  PendingState,
  SdnController,
  SdnZone,
  SdnVnet,
  SdnSubnet,
  ZoneStatus,
  FirewallSwitches,
  StorageInfo,
} from "./ports.js";
export { decideClone, type CloneDecision } from "./clone-rule.js";
export {
  SpecError,
  PlanConflictError,
  PlanStaleError,
  ApplyError,
  ApplyAbortedError,
  AlreadyExistsError,
  FirewallOffError,
} from "./errors.js";
export {
  firewallPrerequisites,
  missingSwitches,
  describePrerequisites,
  involvedNodes,
  type FirewallPrerequisite,
} from "./prerequisites.js";
export { parseCidr, subnetId, normaliseCidr } from "./ip.js";
export { fileLedger } from "./ledger.js";
export {
  planProbes,
  probeScript,
  parseProbeOutput,
  judge,
  formatVerify,
  PROBE_TIMEOUT_S,
  type Probe,
  type ProbeKind,
  type ProbeResult,
  type ProbeOutcome,
  type VerifyReport,
} from "./probes.js";
export { verify, type ProbeRunner, type VerifyOptions } from "./verify.js";
export {
  SAVED_PLAN_FORMAT,
  savePlan,
  isSavedPlan,
  parseSavedPlan,
  checkSavedPlan,
  planDigest,
  type SavedPlan,
} from "./saved-plan.js";
