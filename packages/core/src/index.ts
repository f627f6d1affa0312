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
  type TxConfig,
  type AgentConfig,
  type LogConfig,
} from "./config.js";
export { parseYaml, loadYamlFile, loadConfig, type LoadedConfig, type YamlIssue } from "./load.js";
export {
  createLogger,
  redact,
  redactText,
  REDACTED,
  type Logger,
  type LoggerOptions,
} from "./logger.js";
export { newId, idTime } from "./ids.js";
