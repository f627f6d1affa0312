export {
  startTestbed,
  loadTestbedConfig,
  ensureOperatorKey,
  type StartTestbedOptions,
  type TestbedHandle,
  type FaultControl,
} from "./testbed.js";
export {
  testbedConfigSchema,
  faultsSchema,
  parseTestbedConfig,
  type TestbedConfig,
  type Faults,
  type LabGuest,
} from "./config.js";
export { MemoryRealiser } from "./realise/memory.js";
export {
  RealiseError,
  type Realiser,
  type GuestType,
  type StorageType,
  type StorageDef,
  type StorageUsage,
  type VolumeRef,
  type NetIf,
  type GuestRuntimeSpec,
  type GuestRuntimeStatus,
  type SshInjection,
  type RunningSdnConfig,
} from "./realise/types.js";
export { loadApiSchema, ApiSchema, type SchemaProp, type MethodInfo } from "./schema/apidata.js";
export { checkParams, checkReturns, type ParamCheck, type RawParams } from "./schema/validate.js";
export { formatUpid, parseUpid } from "./api/tasks.js";
export { certFingerprint } from "./cert.js";
export { ApiError } from "./api/errors.js";
export { readConnection, connectionFile, type TestbedConnection } from "./connection.js";
export { main as testbedMain, program as testbedProgram } from "./bin/testbed.js";
