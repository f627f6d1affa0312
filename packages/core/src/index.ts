export {
  TxboxError,
  ConfigError,
  UsageError,
  TimeoutError,
  isTxboxError,
  errorMessage,
  type TxboxErrorOptions,
} from "./errors.js";
export {
  configSchema,
  configJsonSchema,
  durationMs,
  type TxboxConfig,
  type PolicyConfig,
  type ProxmoxConfig,
  type GuestConfig,
  type SshConfigSection,
  type TxConfig,
  type AgentConfig,
  type LogConfig,
} from "./config.js";
export {
  parseYaml,
  loadYamlFile,
  loadConfig,
  readConfigFile,
  formatLocation,
  type LoadedConfig,
  type YamlIssue,
  type PathIssue,
  type ParseYamlOptions,
} from "./load.js";
export { checkConfig } from "./config-checks.js";
export {
  createLogger,
  redact,
  redactText,
  REDACTED,
  type Logger,
  type LoggerOptions,
} from "./logger.js";
export { newId, idTime } from "./ids.js";
export {
  DECISIONS,
  OUTCOMES,
  type Decision,
  type Outcome,
  type PhaseTimings,
  type CommandRecord,
  type StreamInfo,
  encodeStream,
  streamBytes,
} from "./record.js";
export { sleep } from "./sleep.js";
